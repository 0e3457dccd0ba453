"""A synthetic MPCORB file: minor planets drawn from the belt's known structure, for scale tests and benchmarks.

They are not real minor planets (the file's header and every designation say so: ``synthetic 123``).  What is
drawn (``docs/solar-system.md``):

- the main belt (95.5 %), semimajor axes 2.06-3.3 au with the Kirkwood gaps emptied at Jupiter's 3:1, 5:2, 7:3 and
  2:1 mean-motion resonances (a = a_J (q/p)^(2/3), a_J = 5.2026 au), e Rayleigh (0.1) below 0.35, i Rayleigh (7 deg);
- the Hungarias (1.5 %): a 1.78-2.0 au, e below 0.18, i 16-34 deg;
- the Hildas (0.4 %) in Jupiter's 3:2 resonance (a about 3.97 au), at aphelion 60, 180 or 300 deg from Jupiter;
- Jupiter's Trojans (2.3 %) 60 deg ahead of and behind Jupiter (a about 5.2 au), e below 0.15, i Rayleigh (10 deg);
- near-Earth objects (0.3 %): a 1.0-2.5 au, perihelion below 1.3 au.

H follows N(<H) proportional to 10^(0.3 H) from 5 to 19.5 (about 0.2 % brighter than H 10, as in MPCORB); G 0.15.
Every orbit is given at one epoch (JD 2461000.5, packed K25BL, 2025 November 21), Jupiter's place there from DE421
(:mod:`helios.solar`).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from helios.files import atomic_path
from helios.mpcorb import DEFAULT_G, GAUSS_K_DEG, ORBIT, SYNTHETIC_HEADER

EPOCH_JD = 2461000.5
EPOCH_PACKED = "K25BL"
A_JUPITER = 5.2026
#: Jupiter's mean-motion resonances that empty the Kirkwood gaps: (p, q) with the asteroid's period q/p of
#: Jupiter's, and the half width emptied (au).
KIRKWOOD = {(3, 1): 0.030, (5, 2): 0.015, (7, 3): 0.010, (2, 1): 0.040}
POPULATIONS = {"main": 0.955, "hungaria": 0.015, "hilda": 0.004, "trojan": 0.023, "neo": 0.003}
HEADER = SYNTHETIC_HEADER + ": {count} orbits drawn by helios/synthetic_belt.py (seed {seed}); NOT real minor planets"


def resonance_a(p: int, q: int) -> float:
    """The semimajor axis of Jupiter's p:q mean-motion resonance (p asteroid orbits to q of Jupiter's)."""
    return A_JUPITER * (q / p) ** (2 / 3)


def jupiter_longitude(jd: float) -> float:
    """Jupiter's heliocentric ecliptic longitude (degrees, J2000) at Julian date ``jd`` from DE421."""
    from helios import minor_planets, solar

    place = solar.heliocentric_au(2000.0 + (jd - 2451545.0) / 365.25)["jupiter"]
    c, s = np.cos(minor_planets.OBLIQUITY_J2000), np.sin(minor_planets.OBLIQUITY_J2000)
    return float(np.degrees(np.arctan2(c * place[1] + s * place[2], place[0])) % 360)


def _rayleigh_below(rng: np.random.Generator, sigma: float, top: float, n: int) -> np.ndarray:
    values = rng.rayleigh(sigma, n)
    while (bad := values >= top).any():
        values[bad] = rng.rayleigh(sigma, int(bad.sum()))
    return values


def _main_belt_a(rng: np.random.Generator, n: int) -> np.ndarray:
    """Semimajor axes of the main belt: three broad families of orbits, the Kirkwood gaps emptied."""
    out = np.empty(0)
    while len(out) < n:
        draw = rng.normal(rng.choice([2.35, 2.7, 3.05], size=2 * n, p=[0.35, 0.4, 0.25]), 0.16)
        keep = (draw > 2.06) & (draw < 3.3)
        for (p, q), width in KIRKWOOD.items():
            keep &= np.abs(draw - resonance_a(p, q)) > width
        out = np.concatenate([out, draw[keep]])
    return out[:n]


def synthetic_orbits(count: int, seed: int = 0) -> np.ndarray:
    """``count`` synthetic orbits (:data:`helios.mpcorb.ORBIT`), the populations in :data:`POPULATIONS`."""
    rng = np.random.default_rng(seed)
    sizes = {name: int(round(share * count)) for name, share in POPULATIONS.items()}
    sizes["main"] += count - sum(sizes.values())
    jupiter = jupiter_longitude(EPOCH_JD)
    parts = []
    for name, n in sizes.items():
        o = np.zeros(n, ORBIT)
        o["node_deg"] = rng.uniform(0, 360, n)
        o["peri_deg"] = rng.uniform(0, 360, n)
        o["mean_anomaly_deg"] = rng.uniform(0, 360, n)
        if name == "main":
            o["a_au"] = _main_belt_a(rng, n)
            o["e"] = _rayleigh_below(rng, 0.1, 0.35, n)
            o["incl_deg"] = _rayleigh_below(rng, 7.0, 40.0, n)
        elif name == "hungaria":
            o["a_au"] = rng.uniform(1.78, 2.0, n)
            o["e"] = rng.uniform(0.0, 0.18, n)
            o["incl_deg"] = rng.uniform(16, 34, n)
        elif name == "hilda":
            o["a_au"] = rng.normal(resonance_a(3, 2), 0.03, n)
            o["e"] = rng.uniform(0.1, 0.3, n)
            o["incl_deg"] = _rayleigh_below(rng, 8.0, 20.0, n)
            aphelion = jupiter + rng.choice([60.0, 180.0, 300.0], n) + rng.normal(0, 12, n)
            o["mean_anomaly_deg"] = 180 + rng.normal(0, 25, n)
            o["peri_deg"] = (aphelion - 180 - o["node_deg"]) % 360
        elif name == "trojan":
            o["a_au"] = rng.normal(A_JUPITER, 0.05, n)
            o["e"] = rng.uniform(0.0, 0.15, n)
            o["incl_deg"] = _rayleigh_below(rng, 10.0, 40.0, n)
            longitude = jupiter + rng.choice([60.0, -60.0], n) + rng.normal(0, 10, n)
            o["mean_anomaly_deg"] = (longitude - o["node_deg"] - o["peri_deg"]) % 360
        else:  # near-Earth objects
            o["a_au"] = rng.uniform(1.0, 2.5, n)
            o["e"] = np.clip(1 - rng.uniform(0.5, 1.3, n) / o["a_au"], 0.0, 0.95)
            o["incl_deg"] = _rayleigh_below(rng, 12.0, 60.0, n)
        parts.append(o)
    orbits = np.concatenate(parts)[rng.permutation(count)]
    orbits["mean_anomaly_deg"] %= 360
    orbits["motion_deg_day"] = GAUSS_K_DEG / orbits["a_au"] ** 1.5
    orbits["epoch_jd"] = EPOCH_JD
    u = rng.uniform(0, 1, count)  # N(<H) ~ 10^(0.3 H) from 5 to 19.5
    orbits["h"] = np.log10(10 ** (0.3 * 5) + u * (10 ** (0.3 * 19.5) - 10 ** (0.3 * 5))) / 0.3
    orbits["g"] = DEFAULT_G
    return orbits


def _packed(index: int) -> str:
    """A 7-character designation no real object has: ``_`` and the index in base 62 (MPC designations never hold ``_``)."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    text = ""
    for _ in range(6):
        index, digit = divmod(index, 62)
        text = digits[digit] + text
    return "_" + text


def mpcorb_line(index: int, orbit: np.void) -> str:
    """One MPCORB line for synthetic orbit number ``index`` (the columns of helios/mpcorb.py)."""
    elements = (f"{_packed(index)} {orbit['h']:5.2f} {orbit['g']:5.2f} {EPOCH_PACKED} {orbit['mean_anomaly_deg']:9.5f}  "
                f"{orbit['peri_deg']:9.5f}  {orbit['node_deg']:9.5f}  {orbit['incl_deg']:9.5f}  {orbit['e']:9.7f} "
                f"{orbit['motion_deg_day']:11.8f} {orbit['a_au']:11.7f}")
    return f"{elements:<166}{'synthetic ' + str(index + 1):<28}20251121"


def write_synthetic_mpcorb(path: str | Path, count: int, seed: int = 0) -> Path:
    """Write ``count`` synthetic orbits in MPCORB's format (gzip when the name ends in ``.gz``, with no time stamp, so
    that the same count and seed give the same bytes)."""
    path = Path(path)
    orbits = synthetic_orbits(count, seed)
    head = HEADER.format(count=count, seed=seed) + "\n" + "-" * 160 + "\n"
    with atomic_path(path) as tmp:
        raw = open(tmp, "wb")
        with raw, (gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0, filename="") if path.name.endswith(".gz")
                   else raw) as out:
            out.write(head.encode())
            for start in range(0, count, 65_536):
                block = orbits[start:start + 65_536]
                out.write("".join(mpcorb_line(start + k, o) + "\n" for k, o in enumerate(block)).encode())
    return path
