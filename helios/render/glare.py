"""Glare: a faint, wide halo that carries a share of every star's light, so that bright stars look bright.

A display cannot show a star a thousand times brighter than another as a thousand times brighter; the
eye's own scattered light (glare) is what makes a bright star look bright and large (Spencer, Shirley,
Zimmerman & Greenberg 1995, "Physically-based glare effects for digital images").  Here the point-spread
function of every star is its core (:mod:`helios.render.points`, kept as it is) with a share ``g`` of its
light moved into a halo; the halo is the same for every star, so it is applied to the linear image as a
whole (light adds):

    glared = (1 - g) L + g (H_1 + ... + H_K) / K

``H_k`` (``k = 1 .. K``) is octave ``k`` of a Gaussian pyramid (Burt & Adelson 1983) brought back to the
pixels: octave 0 is the image blurred by the binomial kernel ``[1 4 6 4 1] / 16`` along x then y (dark beyond
the edges); octave ``k + 1`` is every other row and column of octave ``k`` (its samples at pixels
``2^(k+1) i``), blurred the same way.  Octaves K down to 1 are summed from the widest down, each sum
interpolated linearly (along y then x) onto the samples of the octave below, whose every other sample it
shares, and blurred there again (the interpolation's creases would show on a dark sky), and the sum at
octave 1 interpolated onto the pixels.  So ``H_k`` is a blur of 2.3, 5.2, 10.7, 21.6 and 43 px (the
standard deviation along one axis) for octaves 1 to 5 (octave 0, 1 px, only smooths the image before it is
halved: a browser's only pass over every pixel is then its tone map).  The kernel's even and odd taps each
sum to one half, and linear interpolation spreads a sample over exactly its spacing, so every step keeps the
light.  Equal shares per octave make the halo fall as ``1 / r^2``, as the wide-angle term of the eye's glare
does.  Away from the edges (light spread beyond the image is lost, as a star's own is), a star's pixels still
sum to its flux.

The octaves reach only so far (octave 5's blur ends 187 px from its source), so the halo of a source 10^8 times
brighter than white is still bright where it ends and shows the pyramid's square.  A pixel's light goes into the
halo up to a ceiling, :data:`helios.photometry.GLARE_CEILING` in exposed units (the display's white is about 3):
the share of a brighter pixel's light above it stays in the pixel, which is white either way.  So the light is
kept, and the visible halo of any source stays round (axes and diagonals within 5 %) and within about 150 px:

    glared = L - g C(L) + g (H_1 + ... + H_K)[C(L)] / K,    C(L) = L min(1, ceiling / max(L_r, L_g, L_b))

(each pixel scaled as a whole, so a capped source keeps its colour).  The browser client runs the same steps in its
shaders (``client/src/renderer.js``); ``docs/photometry.md`` documents both.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from helios.errors import HeliosError
from helios.photometry import DEFAULT_GLARE, GLARE_CEILING, GLARE_OCTAVES, exposure_for

#: The binomial kernel each level is blurred with, along x then y.
BLUR_TAPS = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)


class GlareError(HeliosError):
    pass


def check_glare(share: float, what: str | None = None) -> None:
    """Refuse a halo share outside [0, 1)."""
    if not (math.isfinite(share) and 0.0 <= share < 1.0):
        raise GlareError(f"{what or f'glare {share}'}: give the share of a star's light in its halo, at least 0 and below 1")


def _blur(level: torch.Tensor) -> torch.Tensor:
    """``[1, 3, h, w]`` blurred by :data:`BLUR_TAPS` along x then y, dark beyond the edges."""
    taps = torch.tensor(BLUR_TAPS, dtype=level.dtype, device=level.device)
    across = taps.view(1, 1, 1, -1).expand(3, 1, 1, -1)
    level = F.conv2d(F.pad(level, (2, 2, 0, 0)), across, groups=3)
    return F.conv2d(F.pad(level, (0, 0, 2, 2)), across.transpose(-1, -2), groups=3)


def _axis(pixels: int, samples: int, pitch: int, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, ...]:
    """Linear interpolation from samples at pixels ``0, pitch, 2 pitch, ...`` to every pixel: indices and weights."""
    src = torch.arange(pixels, device=device, dtype=dtype) / pitch
    first = torch.floor(src).long().clamp(max=samples - 1)
    return first, (first + 1).clamp(max=samples - 1), src - torch.floor(src)


def _spread(octave: torch.Tensor, pitch: int, height: int, width: int) -> torch.Tensor:
    """``[1, 3, h, w]`` samples at ``(pitch i, pitch j)`` interpolated bilinearly to ``[1, 3, height, width]``."""
    y0, y1, fy = _axis(height, octave.shape[-2], pitch, octave.device, octave.dtype)
    x0, x1, fx = _axis(width, octave.shape[-1], pitch, octave.device, octave.dtype)
    rows = octave[..., y0, :] * (1 - fy)[:, None] + octave[..., y1, :] * fy[:, None]
    return rows[..., x0] * (1 - fx) + rows[..., x1] * fx


def pyramid(image: torch.Tensor, octaves: int = GLARE_OCTAVES) -> list[torch.Tensor]:
    """The ``[1, 3, h_k, w_k]`` octaves of a ``[H, W, 3]`` linear image: octave ``k`` holds samples at pixels
    ``(2^k i, 2^k j)`` of the image blurred by about ``2^k`` pixels."""
    level, out = image.permute(2, 0, 1)[None], []
    for _ in range(octaves):
        out.append(_blur(level))
        level = out[-1][..., ::2, ::2]
    return out


def halo(image: torch.Tensor, octaves: int = GLARE_OCTAVES) -> torch.Tensor:
    """``(H_1 + ... + H_K) / K`` of a ``[H, W, 3]`` linear image: its light spread over octaves 1 to K of the
    pyramid, summed from the widest down (each sum interpolated onto the octave below, whose every other sample
    it shares) and onto the pixels."""
    levels = pyramid(image, octaves + 1)[1:]
    total = levels[-1]
    for level in reversed(levels[:-1]):  # blurred again once interpolated: linear interpolation's creases would show
        total = level + _blur(_spread(total, 2, *level.shape[-2:]))
    return (_spread(total, 2, *image.shape[:2]) / octaves)[0].permute(1, 2, 0)


def below_ceiling(linear: torch.Tensor, ceiling: float) -> torch.Tensor:
    """``[H, W, 3]`` light with each pixel scaled down, as a whole, until its largest channel is at most ``ceiling``."""
    largest = linear.amax(dim=-1, keepdim=True)
    return torch.where(largest > ceiling, linear * (ceiling / largest), linear)


def apply_glare(image: np.ndarray | torch.Tensor, share: float = DEFAULT_GLARE, octaves: int = GLARE_OCTAVES, *,
                limiting_mag: float) -> np.ndarray | torch.Tensor:
    """``image - share C + share halo(C)`` of a ``[H, W, 3]`` linear image to be shown at ``limiting_mag``
    (numpy in, numpy out), ``C`` the image below the ceiling (:data:`GLARE_CEILING` exposed); below it,
    ``(1 - share) image + share halo(image)``.  ``share`` 0 returns the image itself."""
    check_glare(share)
    if share == 0:
        return image
    linear = torch.as_tensor(image, dtype=torch.float64)
    spread = below_ceiling(linear, GLARE_CEILING / exposure_for(limiting_mag))
    glared = linear - share * spread + share * halo(spread, octaves)
    return glared.to(torch.float32).numpy() if isinstance(image, np.ndarray) else glared.to(image.dtype)
