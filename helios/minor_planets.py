"""Minor planets: two-body orbits about the Sun, their places at any epoch, their brightness by the H-G law, and the
file a client streams them from (``minor_planets.bin``, ``docs/solar-system.md``).

An orbit is MPCORB's osculating ellipse (:mod:`helios.mpcorb`): the mean anomaly moves at the mean daily motion from
the orbit's epoch, Kepler's equation gives the eccentric anomaly, and the ellipse, turned by the argument of
perihelion, the inclination and the ascending node (J2000 ecliptic), is turned to the equator by the J2000 obliquity
(84381.448", as skyfield's ECLIPJ2000).  No perturbations: as skyfield's ``mpcorb_orbit``, against which
``tests/test_minor_planets.py`` checks it.

Brightness: V = H + 5 log10(r delta) - 2.5 log10((1 - G) phi1 + G phi2), phi_i = exp(-A_i tan(alpha/2)^B_i),
A = (3.33, 1.87), B = (0.63, 1.22) (Bowell et al. 1989, in Asteroids II, 524-556).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path
from helios.mpcorb import ORBIT, ReadSummary, proper_name, read_mpcorb

OBLIQUITY_J2000 = np.radians(84381.448 / 3600)
MAGIC = b"HELIOSMP"
VERSION = 1
FORMAT = "helios-minor-planets"
ALIGNMENT = 64
#: A record of ``minor_planets.bin``: the mean anomaly at the file's epoch and the mean motion in float64 (so a
#: client keeps an arcsecond over decades), the other elements in float32 (an arcsecond is 5e-6 of a radian).
RECORD = np.dtype([("mean_anomaly_deg", "<f8"), ("motion_deg_day", "<f8"), ("a_au", "<f4"), ("e", "<f4"), ("incl_deg", "<f4"),
                   ("node_deg", "<f4"), ("peri_deg", "<f4"), ("h", "<f4"), ("g", "<f4"), ("number", "<u4")])
#: Records in the first chunk; each next chunk doubles, to at most LARGEST_CHUNK (a client fetches the brightest first).
FIRST_CHUNK = 16_384
LARGEST_CHUNK = 262_144
_HEAD = struct.Struct("<8sII")  # magic, version, length of the JSON directory


class MinorPlanetError(HeliosError):
    pass


def mean_anomaly_deg(orbits: np.ndarray, jd: float) -> np.ndarray:
    """Each orbit's mean anomaly at Julian date ``jd`` (TT), degrees in [0, 360)."""
    return np.mod(orbits["mean_anomaly_deg"] + orbits["motion_deg_day"] * (jd - orbits["epoch_jd"]), 360.0)


def eccentric_anomaly(mean_anomaly: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Kepler's equation E - e sin E = M solved by Newton's method (radians) from Danby's start, E = M + 0.85 e sign(sin
    M), which converges for every e < 1; to 1e-14."""
    M = np.angle(np.exp(1j * np.asarray(mean_anomaly, np.float64)))  # to (-pi, pi]
    E = M + 0.85 * e * np.sign(np.sin(M))
    for _ in range(50):
        step = (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
        E = E - step
        if np.all(np.abs(step) < 1e-14):
            break
    return E


def orbit_axes(orbits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The unit vectors to perihelion (P) and 90 degrees on along the motion (Q), ICRS, ``[N, 3]`` each."""
    w, node, i = (np.radians(np.asarray(orbits[k], np.float64)) for k in ("peri_deg", "node_deg", "incl_deg"))
    cw, sw, cn, sn, ci, si = np.cos(w), np.sin(w), np.cos(node), np.sin(node), np.cos(i), np.sin(i)
    p = np.stack([cw * cn - sw * sn * ci, cw * sn + sw * cn * ci, sw * si], axis=1)
    q = np.stack([-sw * cn - cw * sn * ci, -sw * sn + cw * cn * ci, cw * si], axis=1)
    return ecliptic_to_icrs(p), ecliptic_to_icrs(q)


def ecliptic_to_icrs(v: np.ndarray) -> np.ndarray:
    """J2000 ecliptic to the J2000 equator (ICRS to within its 0.02" frame bias), ``[N, 3]``."""
    c, s = np.cos(OBLIQUITY_J2000), np.sin(OBLIQUITY_J2000)
    return np.stack([v[:, 0], c * v[:, 1] - s * v[:, 2], s * v[:, 1] + c * v[:, 2]], axis=1)


def heliocentric_au(orbits: np.ndarray, jd: float) -> np.ndarray:
    """Each orbit's place at Julian date ``jd`` (TT): ICRS, au from the Sun, ``[N, 3]``."""
    e = np.asarray(orbits["e"], np.float64)
    a = np.asarray(orbits["a_au"], np.float64)
    E = eccentric_anomaly(np.radians(mean_anomaly_deg(orbits, jd)), e)
    p, q = orbit_axes(orbits)
    x = a * (np.cos(E) - e)
    y = a * np.sqrt(1 - e * e) * np.sin(E)
    return x[:, None] * p + y[:, None] * q


def hg_magnitude(h: np.ndarray, g: np.ndarray, sun_to_body: np.ndarray, observer_to_body: np.ndarray) -> np.ndarray:
    """V by the H-G law (the module's docstring) for vectors in au, ``[N, 3]``."""
    r = np.linalg.norm(sun_to_body, axis=-1)
    delta = np.linalg.norm(observer_to_body, axis=-1)
    cos_phase = np.clip(np.sum(sun_to_body * observer_to_body, axis=-1) / (r * delta), -1, 1)
    tan_half = np.sqrt((1 - cos_phase) / (1 + cos_phase))  # tan(alpha / 2)
    phi1 = np.exp(-3.33 * tan_half**0.63)
    phi2 = np.exp(-1.87 * tan_half**1.22)
    return h + 5 * np.log10(r * delta) - 2.5 * np.log10((1 - g) * phi1 + g * phi2)


def common_epoch(orbits: np.ndarray) -> float:
    """The epoch most orbits are given at (MPCORB gives nearly all at one), the file's epoch."""
    epochs, counts = np.unique(orbits["epoch_jd"], return_counts=True)
    return float(epochs[np.argmax(counts)])


def brightest_first(orbits: np.ndarray) -> np.ndarray:
    """The order of the file's records: ascending H (no H last), then number."""
    return np.lexsort((orbits["number"], np.nan_to_num(orbits["h"], nan=np.inf)))


def records(orbits: np.ndarray, epoch_jd: float) -> np.ndarray:
    """The :data:`RECORD` of each orbit, brightest first (:func:`brightest_first`), the mean anomaly moved to ``epoch_jd``."""
    chosen = orbits[brightest_first(orbits)]
    out = np.zeros(len(chosen), RECORD)
    out["mean_anomaly_deg"] = mean_anomaly_deg(chosen, epoch_jd)
    for name in ("motion_deg_day", "a_au", "e", "incl_deg", "node_deg", "peri_deg", "h", "g", "number"):
        out[name] = chosen[name]
    return out


def chunk_counts(total: int) -> list[int]:
    """How many records each chunk holds: FIRST_CHUNK, doubling to LARGEST_CHUNK, the last what is left."""
    counts, size = [], FIRST_CHUNK
    while total > 0:
        counts.append(min(size, total))
        total -= counts[-1]
        size = min(2 * size, LARGEST_CHUNK)
    return counts


def _align(offset: int) -> int:
    return -(-offset // ALIGNMENT) * ALIGNMENT


def write_minor_planets(path: str | Path, orbits: np.ndarray, names: list[str], source: dict[str, Any],
                        synthetic: bool = False) -> dict[str, Any]:
    """Write ``minor_planets.bin``: a 16-byte head (magic, version, directory length), the JSON directory (the epoch,
    the chunks with their offsets, lengths, first H and SHA-256, the named objects as [record, number, name], the source
    read), then the records, brightest first, each chunk at a multiple of 64 bytes.  Returns the directory."""
    epoch = common_epoch(orbits)
    table = records(orbits, epoch)
    named = [[k, int(orbits["number"][i]), name] for k, i in enumerate(brightest_first(orbits)) if (name := proper_name(names[i]))]
    counts = chunk_counts(len(table))
    blobs, start = [], 0
    for count in counts:
        blobs.append(table[start:start + count].tobytes())
        start += count
    chunks = [{"count": count, "h_first": _h(table["h"][sum(counts[:k])]), "length": len(blob),
               "sha256": hashlib.sha256(blob).hexdigest()} for k, (count, blob) in enumerate(zip(counts, blobs))]
    directory = {"format": FORMAT, "version": VERSION, "epoch_jd": epoch, "count": len(table), "record_bytes": RECORD.itemsize,
                 "fields": list(RECORD.names), "synthetic": synthetic, "source": source, "chunks": chunks, "names": named}
    # Offsets depend on the directory's length, which depends on the offsets' digits: place them, then settle.
    for _ in range(4):
        raw = json.dumps(directory, sort_keys=True, separators=(",", ":")).encode()
        at = _align(_HEAD.size + len(raw))
        for chunk in chunks:
            chunk["offset"] = at
            at = _align(at + chunk["length"])
        settled = json.dumps(directory, sort_keys=True, separators=(",", ":")).encode()
        if len(settled) == len(raw):
            break
    else:
        raise MinorPlanetError(f"{path}: the directory's offsets did not settle")
    raw = settled
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(_HEAD.pack(MAGIC, VERSION, len(raw)) + raw)
        for chunk, blob in zip(chunks, blobs):
            handle.write(b"\0" * (chunk["offset"] - handle.tell()))
            handle.write(blob)
    return directory


def _h(value: float) -> float | None:
    """H as the file gives it (two decimals), None where unknown."""
    return round(float(value), 2) if np.isfinite(value) else None


#: The minor planets embedded in HELIOS: the 29 largest asteroids and dwarf planets (``solar_system: mpcorb: builtin``).
BUILTIN = "builtin"


def read_minor_planets_source(mpcorb: str | Path, progress: Callable[[str], None] | None = None) -> tuple[np.ndarray, list[str], ReadSummary]:
    """An MPCORB file's orbits, designations and read summary (:data:`BUILTIN`: the embedded file)."""
    shown = str(mpcorb)
    path = files("helios") / "data" / "mpcorb_largest.dat" if shown == BUILTIN else Path(mpcorb)
    orbits, names, summary = read_mpcorb(path, progress, shown_as=shown)
    if progress:
        progress(summary.message())
    return orbits, names, summary


def build_minor_planets(mpcorb: str | Path, output: str | Path, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Read an MPCORB file (:data:`BUILTIN`: the embedded one) and write its ``minor_planets.bin``; returns the directory
    (its ``source`` says what the read found, the bad lines by reason)."""
    orbits, names, summary = read_minor_planets_source(mpcorb, progress)
    return write_minor_planets(output, orbits, names, summary.as_dict(), synthetic=summary.synthetic)


def read_minor_planets(path: str | Path) -> tuple[dict[str, Any], np.ndarray]:
    """The directory and every record of a ``minor_planets.bin``, each chunk's SHA-256 checked."""
    path = Path(path)
    data = path.read_bytes()
    if len(data) < _HEAD.size or data[:8] != MAGIC:
        raise MinorPlanetError(f"{path}: not a HELIOS minor planets file (no {MAGIC.decode()} magic)")
    _, version, length = _HEAD.unpack_from(data)
    if version != VERSION:
        raise MinorPlanetError(f"{path}: version {version}, this HELIOS reads {VERSION}")
    directory = json.loads(data[_HEAD.size:_HEAD.size + length])
    parts = []
    for number, chunk in enumerate(directory["chunks"]):
        blob = data[chunk["offset"]:chunk["offset"] + chunk["length"]]
        if len(blob) != chunk["length"] or hashlib.sha256(blob).hexdigest() != chunk["sha256"]:
            raise MinorPlanetError(f"{path}: chunk {number} (offset {chunk['offset']}) fails its SHA-256: the file is damaged")
        parts.append(np.frombuffer(blob, RECORD))
    table = np.concatenate(parts) if parts else np.zeros(0, RECORD)
    if len(table) != directory["count"]:
        raise MinorPlanetError(f"{path}: {len(table)} records, the directory says {directory['count']}")
    return directory, table


def find_minor_planets(directory: str | Path) -> Path | None:
    """The minor planets of a ``helios build --mpcorb`` output (``DIR/minor_planets.bin``) or of a workflow's output
    (``DIR/trained/pack/minor_planets.bin``); None when it has none."""
    for candidate in (Path(directory) / "minor_planets.bin", Path(directory) / "trained" / "pack" / "minor_planets.bin"):
        if candidate.is_file():
            return candidate
    return None


def seen_from(directory: dict[str, Any], table: np.ndarray, year: float, observer_au: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every minor planet of a file with an H at Julian year ``year`` (TT) seen from ``observer_au`` (ICRS, au from the
    Sun): places (ICRS, au from the Sun) and the absolute magnitudes that give each its H-G magnitude at the observer
    (one without H, whose brightness is unknown, is not drawn: the file puts them last)."""
    jd = 2451545.0 + (year - 2000.0) * 365.25
    table = table[np.isfinite(table["h"])]
    places = heliocentric_au(as_orbits(table, directory["epoch_jd"]), jd)
    seen = places - np.asarray(observer_au, np.float64)
    apparent = hg_magnitude(table["h"].astype(np.float64), table["g"].astype(np.float64), places, seen)
    distance_pc = np.linalg.norm(seen, axis=1) * 4.84813681109536e-6
    return places, apparent - 5 * np.log10(distance_pc / 10)


def as_orbits(table: np.ndarray, epoch_jd: float) -> np.ndarray:
    """Records back as :data:`helios.mpcorb.ORBIT` orbits at ``epoch_jd`` (for :func:`heliocentric_au`)."""
    out = np.zeros(len(table), ORBIT)
    for name in ("number", "h", "g", "mean_anomaly_deg", "peri_deg", "node_deg", "e", "motion_deg_day", "a_au"):
        out[name] = table[name]
    out["incl_deg"] = table["incl_deg"]
    out["epoch_jd"] = epoch_jd
    return out
