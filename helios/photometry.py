"""One photometric scale for the whole universe (``docs/photometry.md``).

A star is light.  Its flux at a camera is ``F = 10^(-0.4 m)`` with ``m`` its
apparent magnitude there, ``m = M + 5 log10(d / 10 pc)``: a star of magnitude 0
has flux 1, at any place in the universe.  A *linear image* holds flux per
pixel: a star's pixels sum to ``F`` times its colour, and a colour is linear
sRGB scaled to unit luminance, so the luminance of a star's pixels sums to
``F``.  A *display image* is ``tone_map(exposure * linear)``, the exposure set by
a limiting magnitude.  Nothing here depends on a cell.
"""

from __future__ import annotations

import numpy as np

from helios.colour import srgb_encode

#: Rec. 709 / sRGB luminance weights of linear R, G, B (IEC 61966-2-1).
LUMINANCE_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
#: The point-spread function's standard deviation in pixels (docs/photometry.md).
DEFAULT_PSF_SIGMA_PX = 0.8
#: Share of a star's light in its glare halo (:mod:`helios.render.glare`; chosen by looking: docs/photometry.md).
DEFAULT_GLARE = 0.25
#: Octaves of the glare halo: blurs of 2.3, 5.2, 10.7, 21.6 and 43 px.
GLARE_OCTAVES = 5
#: The most exposed light of a pixel that goes into the glare halo (:mod:`helios.render.glare`): the halo of a
#: brighter pixel is that of one at the ceiling, the rest of its share stays in the pixel (white either way).
GLARE_CEILING = 100.0
#: Naked-eye limit under a dark sky (``../notes``: about 6 to 6.5 mag).
DEFAULT_LIMITING_MAG = 6.5
#: The exposed flux of a star at the limiting magnitude: its total, before the tone map.
#: With the default point-spread function (sigma 0.8 px) its brightest pixel then
#: shows as about 15/255 on a black sky: just visible.
LIMIT_EXPOSED_FLUX = 0.02


def flux_from_magnitude(apparent_mag: np.ndarray | float) -> np.ndarray:
    """``10^(-0.4 m)``: magnitude 0 is flux 1; 5 magnitudes are a factor 100."""
    return 10.0 ** (-0.4 * np.asarray(apparent_mag, dtype=np.float64))


def magnitude_from_flux(flux: np.ndarray | float) -> np.ndarray:
    """``-2.5 log10 F`` (``inf`` for no flux)."""
    with np.errstate(divide="ignore"):
        return -2.5 * np.log10(np.asarray(flux, dtype=np.float64))


def apparent_magnitude(abs_mag: np.ndarray | float, distance_pc: np.ndarray | float) -> np.ndarray:
    """``M + 5 log10(d / 10 pc)`` (no extinction)."""
    return np.asarray(abs_mag, dtype=np.float64) + 5.0 * np.log10(np.asarray(distance_pc, dtype=np.float64) / 10.0)


def luminosity(abs_mag: np.ndarray | float) -> np.ndarray:
    """A star's flux at 10 pc, ``10^(-0.4 M)``: its flux at distance ``d`` is ``luminosity * (10 pc / d)^2``."""
    return flux_from_magnitude(abs_mag)


def luminance(rgb: np.ndarray) -> np.ndarray:
    """``Y = 0.2126 R + 0.7152 G + 0.0722 B`` of linear sRGB rows (``[..., 3] -> [...]``)."""
    return np.asarray(rgb, dtype=np.float64) @ LUMINANCE_WEIGHTS


def unit_luminance(rgb: np.ndarray) -> np.ndarray:
    """Linear sRGB colours scaled to ``Y = 1``; a colour with no luminance becomes white (1, 1, 1)."""
    rgb = np.asarray(rgb, dtype=np.float64)
    y = luminance(rgb)
    out = np.ones_like(rgb)
    ok = y > 0
    out[ok] = rgb[ok] / y[ok, None]
    return out


def exposure_for(limiting_mag: float = DEFAULT_LIMITING_MAG) -> float:
    """The exposure that gives a star of ``limiting_mag`` the exposed flux :data:`LIMIT_EXPOSED_FLUX`."""
    return float(LIMIT_EXPOSED_FLUX / flux_from_magnitude(limiting_mag))


def tone_map(exposed: np.ndarray) -> np.ndarray:
    """Display values in [0, 1] of an exposed linear image: ``1 - exp(-x)`` per channel
    (linear for faint light, saturating smoothly for bright), then the sRGB transfer
    function.  The browser client applies the same two steps."""
    x = np.clip(np.asarray(exposed, dtype=np.float64), 0.0, None)
    return srgb_encode(-np.expm1(-x))


def display_image(linear: np.ndarray, limiting_mag: float = DEFAULT_LIMITING_MAG) -> np.ndarray:
    """8-bit RGB of a linear flux image ``[H, W, 3]``, exposed for ``limiting_mag``."""
    shown = tone_map(exposure_for(limiting_mag) * np.asarray(linear, dtype=np.float64))
    return np.round(shown * 255.0).astype(np.uint8)
