"""DE421's planets and Moon for the client (``site/planets_de421.bin``): each planet's place and velocity sampled at a
step of its own over DE421's span, for cubic Hermite interpolation (``client/src/planet_table.js``).

Standish's elements, which the client uses at any epoch, put Jupiter up to 0.015 au from DE421's place: too far for
a view of a planet from nearby. Sampled every day (Mercury, the Moon) to 64 days (Saturn to Neptune), a cubic
Hermite interpolant between two samples (places and velocities at both ends) stays within 3.2e-7 au (50 km) of
DE421, 1.3e-7 au for Mercury and 3.3e-8 au (5 km) for the Moon (``tests/test_planet_table.py``); the file is 7.3 MB.
Places are heliocentric ICRS as :func:`helios.solar.heliocentric_au` gives them.

Layout: ``HELIOSPL``, u32 version 1, u32 length of the JSON directory (format ``helios-planet-table``: the first
Julian date (TT) of every planet's samples and the last date all of them reach, each planet's step in days, sample
count and byte offset), then per planet its samples, ``[count, 6]`` float64 (x, y, z in au, vx, vy, vz in au a day),
each at a multiple of 8 bytes.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np

from helios import solar
from helios.files import atomic_path

MAGIC = b"HELIOSPL"
VERSION = 1
FORMAT = "helios-planet-table"
#: Days between samples: short enough that a cubic Hermite interpolant stays within 3.2e-7 au (Mercury at 2 days: 2e-6;
#: the Moon at 2 days: 5e-7).
STEP_DAYS = {"mercury": 1, "venus": 4, "earth": 4, "mars": 8, "jupiter": 32, "saturn": 64, "uranus": 64, "neptune": 64, "moon": 1}
_HEAD = struct.Struct("<8sII")


def span_jd() -> tuple[float, float]:
    """Whole days (TT, 0h) a day inside DE421's span (its ends are TDB)."""
    first, last = (2451545.0 + (year - 2000.0) * 365.25 for year in solar.DE421_SPAN)
    return float(np.ceil(first - 0.5) + 1.5), float(np.floor(last - 0.5) - 0.5)


def sample(planet: str, jd: np.ndarray) -> np.ndarray:
    """``[N, 6]``: DE421's heliocentric place (au) and velocity (au a day) of ``planet`` at Julian dates ``jd`` (TT)."""
    _, ts = solar.ephemeris()
    position, velocity = solar.heliocentric_state(planet, ts.tt_jd(jd))
    return np.concatenate([position.T, velocity.T], axis=1)


def hermite(samples: np.ndarray, first_jd: float, step: float, jd: np.ndarray) -> np.ndarray:
    """Places (au) at ``jd`` by cubic Hermite interpolation of ``samples`` (as written) taken every ``step`` days."""
    x = (np.asarray(jd, np.float64) - first_jd) / step
    k = np.clip(np.floor(x).astype(np.int64), 0, len(samples) - 2)
    t = (x - k)[:, None]
    p0, v0, p1, v1 = samples[k, :3], samples[k, 3:] * step, samples[k + 1, :3], samples[k + 1, 3:] * step
    h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
    return h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1


def write_planet_table(path: str | Path) -> dict[str, Any]:
    """Write ``planets_de421.bin`` (the module's docstring); returns its directory."""
    first, last = span_jd()
    planets, blobs, offset = [], [], 0
    for name, step in STEP_DAYS.items():
        jd = first + step * np.arange(int((last - first) // step) + 1, dtype=np.float64)  # within DE421's span
        blob = sample(name, jd).astype("<f8").tobytes()
        planets.append({"name": name, "step_days": step, "count": len(jd), "offset": offset})
        blobs.append(blob)
        offset += len(blob)
    directory = {"format": FORMAT, "version": VERSION, "first_jd": first,
                 "last_jd": min(first + p["step_days"] * (p["count"] - 1) for p in planets),
                 "frame": "icrs", "source": "JPL DE421 (skyfield-data), heliocentric: each planet (Jupiter to Neptune: its "
                 "system's barycentre) less the Sun", "planets": planets}
    raw = json.dumps(directory, sort_keys=True, separators=(",", ":")).encode()
    raw += b" " * (-(_HEAD.size + len(raw)) % 8)  # the samples at a multiple of 8 bytes
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(_HEAD.pack(MAGIC, VERSION, len(raw)) + raw)
        for blob in blobs:
            handle.write(blob)
    directory["data_offset"] = _HEAD.size + len(raw)
    return directory


def read_planet_table(path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The directory and each planet's ``[count, 6]`` samples of a ``planets_de421.bin``."""
    data = Path(path).read_bytes()
    magic, version, length = _HEAD.unpack_from(data)
    if magic != MAGIC or version != VERSION:
        raise solar.SolarSystemError(f"{path}: not a HELIOS planet table of version {VERSION}")
    directory = json.loads(data[_HEAD.size:_HEAD.size + length])
    start = _HEAD.size + length
    return directory, {p["name"]: np.frombuffer(data, "<f8", p["count"] * 6, start + p["offset"]).reshape(-1, 6)
                       for p in directory["planets"]}
