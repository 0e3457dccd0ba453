"""Units, distances and coordinate frames.

Facts and constants used here, with their sources:

* Gaia parallax zero-point, global value -0.017 mas (Lindegren et al. 2021,
  A&A 649, A4): the corrected parallax is ``parallax - zero_point``.
* Distance from parallax: ``d[pc] = 1000 / parallax[mas]``.
* Exponentially decreasing space density (EDSD) prior, Bailer-Jones 2015
  (PASP 127, 994), eq. 19: the posterior mode is the real positive root of
  ``r^3/L - 2 r^2 + (w/s^2) r - 1/s^2 = 0`` with w, s in arcsec, r and L in pc.
* ICRS -> galactic rotation: the Hipparcos matrix A_G (ESA 1997, vol. 1, 1.5.3).
"""

from __future__ import annotations

import numpy as np

DEFAULT_PARALLAX_ZERO_POINT_MAS = -0.017
DEFAULT_EDSD_LENGTH_SCALE_PC = 1350.0

#: r_galactic = ICRS_TO_GALACTIC @ r_icrs (Hipparcos, ESA 1997).
ICRS_TO_GALACTIC = np.array(
    [
        [-0.0548755604, -0.8734370902, -0.4838350155],
        [0.4941094279, -0.4448296300, 0.7469822445],
        [-0.8676661490, -0.1980763734, 0.4559837762],
    ]
)
#: Unit vectors (ICRS) towards the Galactic centre and the north Galactic pole: the rows of the rotation.
GALACTIC_CENTRE_ICRS = ICRS_TO_GALACTIC[0]
NORTH_GALACTIC_POLE_ICRS = ICRS_TO_GALACTIC[2]


def icrs_to_frame(frame: str) -> np.ndarray:
    """The rotation from ICRS into a universe's frame (``icrs`` or ``galactic``)."""
    return ICRS_TO_GALACTIC if frame == "galactic" else np.eye(3)


def distance_from_parallax(parallax_mas: np.ndarray, zero_point_mas: float = DEFAULT_PARALLAX_ZERO_POINT_MAS) -> np.ndarray:
    """Inverse-parallax distance in pc after removing the zero-point.

    Non-positive corrected parallaxes give NaN: the caller decides their fate.
    """
    corrected = np.asarray(parallax_mas, dtype=np.float64) - zero_point_mas
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(corrected > 0, 1000.0 / corrected, np.nan)


def edsd_mode_distance(
    parallax_mas: np.ndarray,
    parallax_error_mas: np.ndarray,
    length_scale_pc: float = DEFAULT_EDSD_LENGTH_SCALE_PC,
    zero_point_mas: float = DEFAULT_PARALLAX_ZERO_POINT_MAS,
) -> np.ndarray:
    """Mode of the EDSD-prior distance posterior (Bailer-Jones 2015), in pc.

    Works for any parallax sign.  Where the cubic has three real positive
    roots (two local maxima), the one with the larger posterior is returned.
    Rows with a non-positive or missing error give NaN.
    """
    w = (np.asarray(parallax_mas, dtype=np.float64) - zero_point_mas) * 1e-3
    s = np.asarray(parallax_error_mas, dtype=np.float64) * 1e-3
    out = np.full(w.shape, np.nan)
    ok = np.isfinite(w) & np.isfinite(s) & (s > 0)
    if not ok.any():
        return out
    w, s = w[ok], s[ok]
    # Companion matrices of the monic cubic r^3 + a2 r^2 + a1 r + a0.
    a2 = -2.0 * length_scale_pc * np.ones_like(w)
    a1 = length_scale_pc * w / s**2
    a0 = -length_scale_pc / s**2
    companion = np.zeros((w.size, 3, 3))
    companion[:, 0, :] = np.stack([-a2, -a1, -a0], axis=1)
    companion[:, 1, 0] = 1.0
    companion[:, 2, 1] = 1.0
    roots = np.linalg.eigvals(companion)
    real = np.abs(roots.imag) <= 1e-6 * np.maximum(1.0, np.abs(roots.real))
    r = np.where(real & (roots.real > 0), roots.real, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_post = 2 * np.log(r) - r / length_scale_pc - (w[:, None] - 1.0 / r) ** 2 / (2 * s[:, None] ** 2)
    log_post = np.where(np.isfinite(log_post), log_post, -np.inf)
    best = np.argmax(log_post, axis=1)
    chosen = r[np.arange(r.shape[0]), best]
    out[ok] = chosen
    return out


def absolute_magnitude(apparent_mag: np.ndarray, distance_pc: np.ndarray) -> np.ndarray:
    """``M = m - 5 log10(d / 10 pc)``."""
    return np.asarray(apparent_mag) - 5.0 * np.log10(np.asarray(distance_pc) / 10.0)


def icrs_to_cartesian(ra_deg: np.ndarray, dec_deg: np.ndarray, distance_pc: np.ndarray) -> np.ndarray:
    """Heliocentric ICRS Cartesian coordinates ``[N, 3]`` in pc (x to RA 0 Dec 0, z to the pole)."""
    ra = np.radians(np.asarray(ra_deg, dtype=np.float64))
    dec = np.radians(np.asarray(dec_deg, dtype=np.float64))
    d = np.asarray(distance_pc, dtype=np.float64)
    cos_dec = np.cos(dec)
    return np.stack([d * cos_dec * np.cos(ra), d * cos_dec * np.sin(ra), d * np.sin(dec)], axis=-1)


def icrs_to_galactic_cartesian(xyz_icrs: np.ndarray) -> np.ndarray:
    """Rotate ``[N, 3]`` ICRS Cartesian vectors into the galactic frame."""
    return np.asarray(xyz_icrs) @ ICRS_TO_GALACTIC.T


def galactic_lb(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Galactic longitude and latitude in degrees (l in [0, 360))."""
    unit = icrs_to_galactic_cartesian(icrs_to_cartesian(ra_deg, dec_deg, np.ones_like(np.asarray(ra_deg, dtype=float))))
    lon = np.degrees(np.arctan2(unit[..., 1], unit[..., 0])) % 360.0
    lat = np.degrees(np.arcsin(np.clip(unit[..., 2], -1.0, 1.0)))
    return lon, lat
