"""Star colour: Gaia BP-RP -> effective temperature -> linear sRGB.

* Mucciarelli, Bellazzini & Massari 2021 (A&A 653, A90), dwarf relation:
  ``theta = b0 + b1 C + b2 C^2`` at [Fe/H] = 0, ``Teff = 5040 / theta``, valid for
  0.39 <= C <= 1.50.  Outside that range HELIOS extends the same polynomial
  (it stays monotonic for -0.6 <= C <= 6) and clips the temperature to
  [2000, 40000] K; the colour C itself is clipped to [-0.6, 6].
* Jordi et al. 2010 (A&A 523, A48), used by Gaia Sky:
  ``log10 Teff = 3.999 - 0.654 C + 0.709 C^2 - 0.316 C^3``, valid for C <= 1.5;
  HELIOS clips C to [-0.6, 1.5] for it.
* Blackbody colour: Planck's law integrated against the CIE 1931 2-degree
  colour-matching functions (tabulated by the colour-science package), XYZ ->
  linear sRGB (D65), negative channels clipped, brightest channel scaled to 1.
  Done once by ``tools/make_blackbody_table.py`` into a 10 K-step table that
  ships with the package: importing colour-science costs seconds per process.
"""

from __future__ import annotations

import functools

import numpy as np

TEFF_MIN_K = 2000.0
TEFF_MAX_K = 40000.0
#: Colour of a star with no usable photometry: the Sun (IAU 2015 nominal Teff).
NEUTRAL_TEFF_K = 5772.0

_MUCCIARELLI_DWARF = (0.4929, 0.5092, -0.0353)
_COLOUR_CLIP = {"mucciarelli2021": (-0.6, 6.0), "jordi2010": (-0.6, 1.5)}
RELATIONS = tuple(_COLOUR_CLIP)


def teff_from_bp_rp(bp_rp: np.ndarray, relation: str = "mucciarelli2021") -> np.ndarray:
    """Effective temperature in K from Gaia BP-RP (NaN stays NaN)."""
    if relation not in _COLOUR_CLIP:
        raise ValueError(f"unknown colour relation {relation!r}; choose one of {', '.join(RELATIONS)}")
    lo, hi = _COLOUR_CLIP[relation]
    c = np.clip(np.asarray(bp_rp, dtype=np.float64), lo, hi)
    if relation == "mucciarelli2021":
        b0, b1, b2 = _MUCCIARELLI_DWARF
        teff = 5040.0 / (b0 + b1 * c + b2 * c * c)
    else:
        teff = 10.0 ** (3.999 - 0.654 * c + 0.709 * c**2 - 0.316 * c**3)
    return np.clip(teff, TEFF_MIN_K, TEFF_MAX_K)


#: Temperature grid of the shipped blackbody table (see tools/make_blackbody_table.py).
TABLE_STEP_K = 10.0
_TABLE = "data/blackbody_linear_srgb.csv"


def blackbody_linear_srgb_exact(teff_k: np.ndarray) -> np.ndarray:
    """Linear sRGB ``[N, 3]`` of blackbodies by direct integration (slow reference).

    Needs the colour-science package (a test and tool dependency): its CIE 1931
    2-degree tables and sRGB matrix.  The runtime path,
    :func:`blackbody_linear_srgb`, interpolates a table made with this function.
    """
    import warnings

    with warnings.catch_warnings():  # colour-science warns about optional extras it can do without here
        warnings.simplefilter("ignore")
        import colour

    cmfs = colour.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
    wavelength_m = cmfs.wavelengths * 1e-9
    temps = np.atleast_1d(np.asarray(teff_k, dtype=np.float64))
    h, c, k = 6.62607015e-34, 299792458.0, 1.380649e-23
    with np.errstate(over="ignore"):
        radiance = 1.0 / (wavelength_m[None, :] ** 5 * np.expm1(h * c / (wavelength_m[None, :] * k * temps[:, None])))
    xyz = radiance @ cmfs.values  # uniform 1 nm steps: the sum is the integral up to a constant
    rgb = xyz @ np.asarray(colour.RGB_COLOURSPACES["sRGB"].matrix_XYZ_to_RGB).T
    rgb = np.clip(rgb, 0.0, None)
    return rgb / rgb.max(axis=1, keepdims=True)


@functools.lru_cache(maxsize=1)
def _blackbody_table() -> tuple[np.ndarray, np.ndarray]:
    from importlib import resources

    with resources.files("helios").joinpath(_TABLE).open("r") as handle:
        table = np.loadtxt(handle, delimiter=",", skiprows=1)
    return table[:, 0], table[:, 1:4]


def blackbody_linear_srgb(teff_k: np.ndarray) -> np.ndarray:
    """Linear sRGB ``[N, 3]`` of a blackbody, brightest channel = 1 (table lookup)."""
    temps, rgb = _blackbody_table()
    t = np.clip(np.asarray(teff_k, dtype=np.float64), temps[0], temps[-1])
    return np.stack([np.interp(t, temps, rgb[:, i]) for i in range(3)], axis=-1)


def srgb_encode(linear: np.ndarray) -> np.ndarray:
    """sRGB transfer function (IEC 61966-2-1) for display of linear values in [0, 1]."""
    x = np.clip(np.asarray(linear, dtype=np.float64), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055)
