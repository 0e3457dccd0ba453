"""A seeded synthetic Milky Way: thin and thick exponential discs, a bulge, a luminosity function.

Meant to test levels of detail at millions of stars, where unresolved light dominates: it has the
right shapes and orders of magnitude, not the Galaxy's detail (no bar, arms, extinction or halo).
Parameters (galactocentric, kpc), after Bland-Hawthorn & Gerhard 2016 (ARA&A 54, 529):

- the Sun at R0 = 8.2 kpc from the centre, 20.8 pc above the plane;
- thin disc: surface density exp(-R / 2.6 kpc), vertical exp(-|z| / 0.3 kpc);
- thick disc: exp(-R / 2.0 kpc), exp(-|z| / 0.9 kpc);
- bulge: a Hernquist sphere of scale 0.6 kpc, cut at 3 kpc;
- stars by number: 72 % thin disc, 10 % thick disc, 18 % bulge; discs cut at R = 15 kpc.

Luminosity function (absolute G): main-sequence stars N(10.5, 2.5) cut to [-1, 16] (most stars
are faint dwarfs), 5 % giants N(0.8, 0.8) (the red clump and giant branch), and in the thin disc
0.2 % young hot stars N(-2, 1). Colours (BP-RP) follow each group. Distances are exact (a ``dist``
column in pc); there is no parallax.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from helios.astro import ICRS_TO_GALACTIC

SUN_R_KPC = 8.2
SUN_Z_KPC = 0.0208
R_MAX_KPC = 15.0
BULGE_CUT_KPC = 3.0
#: (name, share of stars, scale length kpc, scale height kpc); the bulge is handled apart.
DISCS = (("thin", 0.72, 2.6, 0.3), ("thick", 0.10, 2.0, 0.9))
BULGE_SHARE, BULGE_SCALE_KPC = 0.18, 0.6
GIANT_SHARE, YOUNG_SHARE = 0.05, 0.002


def _disc_radius(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """Radii with surface density exp(-R / scale) (pdf R exp(-R / scale): a Gamma(2) law), cut at R_MAX."""
    radius = rng.gamma(2.0, scale, n)
    while (far := radius > R_MAX_KPC).any():
        radius[far] = rng.gamma(2.0, scale, int(far.sum()))
    return radius


def _bulge_radius(rng: np.random.Generator, n: int) -> np.ndarray:
    """Hernquist radii (cumulative mass r^2 / (r + a)^2), cut at BULGE_CUT."""
    cut = (BULGE_CUT_KPC / (BULGE_CUT_KPC + BULGE_SCALE_KPC)) ** 2
    root = np.sqrt(rng.random(n) * cut)
    return BULGE_SCALE_KPC * root / (1.0 - root)


def galactocentric_positions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``[n, 3]`` positions in kpc (x towards the Sun's opposite, the Sun at (-R0, 0, z0)) and each star's component (0 thin, 1 thick, 2 bulge)."""
    component = rng.choice(3, size=n, p=[DISCS[0][1], DISCS[1][1], BULGE_SHARE])
    xyz = np.empty((n, 3))
    for index, (_, _, length, height) in enumerate(DISCS):
        chosen = np.flatnonzero(component == index)
        radius = _disc_radius(rng, len(chosen), length)
        angle = rng.random(len(chosen)) * 2 * math.pi
        xyz[chosen] = np.stack([radius * np.cos(angle), radius * np.sin(angle), rng.laplace(0.0, height, len(chosen))], axis=1)
    chosen = np.flatnonzero(component == 2)
    radius = _bulge_radius(rng, len(chosen))
    direction = rng.normal(size=(len(chosen), 3))
    xyz[chosen] = direction / np.linalg.norm(direction, axis=1, keepdims=True) * radius[:, None]
    return xyz, component


def absolute_mag_and_colour(rng: np.random.Generator, component: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute G magnitudes and BP-RP colours from the luminosity function of the module docstring."""
    n = len(component)
    kind = rng.random(n)
    giant = kind < GIANT_SHARE
    young = (kind >= GIANT_SHARE) & (kind < GIANT_SHARE + YOUNG_SHARE) & (component == 0)
    abs_mag = np.clip(rng.normal(10.5, 2.5, n), -1.0, 16.0)
    bp_rp = 0.25 + 0.16 * abs_mag + rng.normal(0.0, 0.15, n)  # main sequence: fainter is redder
    abs_mag[giant] = rng.normal(0.8, 0.8, int(giant.sum()))
    bp_rp[giant] = rng.normal(1.2, 0.2, int(giant.sum()))
    abs_mag[young] = rng.normal(-2.0, 1.0, int(young.sum()))
    bp_rp[young] = rng.normal(-0.2, 0.1, int(young.sum()))
    return abs_mag, np.clip(bp_rp, -0.4, 4.5)


def milky_way_batches(n_stars: int, seed: int | list[int], batch_rows: int, first_id: int = 1) -> Iterator[pa.RecordBatch]:
    """The model's stars in the Gaia Archive layout with a ``dist`` column (pc), seen from the Sun.

    The same ``(n_stars, seed, batch_rows)`` gives the same rows."""
    rng = np.random.default_rng(seed)
    sun = np.array([-SUN_R_KPC, 0.0, SUN_Z_KPC])
    produced = 0
    while produced < n_stars:
        n = min(batch_rows, n_stars - produced)
        xyz, component = galactocentric_positions(rng, n)
        # Heliocentric galactic axes: x towards the centre, z towards the north galactic pole (pc).
        galactic = (xyz - sun) * 1000.0
        icrs = galactic @ ICRS_TO_GALACTIC  # row vectors: r_icrs = A^T r_gal
        dist = np.linalg.norm(icrs, axis=1)
        abs_mag, bp_rp = absolute_mag_and_colour(rng, component)
        yield pa.RecordBatch.from_pydict(
            {
                "source_id": pa.array(np.arange(produced, produced + n, dtype=np.int64) + first_id),
                "ra": np.degrees(np.arctan2(icrs[:, 1], icrs[:, 0])) % 360.0,
                "dec": np.degrees(np.arcsin(np.clip(icrs[:, 2] / dist, -1.0, 1.0))),
                "dist": dist,
                "phot_g_mean_mag": abs_mag + 5.0 * np.log10(dist / 10.0),
                "bp_rp": bp_rp,
            }
        )
        produced += n
