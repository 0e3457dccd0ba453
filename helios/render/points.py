"""Stars as point sources on the photometric scale of :mod:`helios.photometry`.

A star at distance ``d`` from the camera puts its flux ``F = 10^(-0.4 M) (10 pc / d)^2``
times its colour (unit luminance) into the image through a screen-space
point-spread function: a Gaussian of ``psf_sigma_px`` integrated over each pixel
(differences of ``erf``), normalised to sum to one over its stamp.  So the pixels
of a star that lies inside the image sum to exactly its flux, at any sub-pixel
position and any distance; the part of a stamp beyond the image edge is light that
falls outside the frame.  Stars behind the camera add nothing.

Written in PyTorch (float64) so that one code path renders on a GPU or a CPU;
stars go through in chunks, so memory is bounded by the image and the chunk, not
by the catalogue.  On the CPU the stamps are added in star order: the same image
every run.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from helios.cameras import Views
from helios.errors import HeliosError
from helios.photometry import DEFAULT_PSF_SIGMA_PX

#: Widest point-spread function drawn: a star's stamp reaches 4 sigma, 513 x 513 px at 64 px.
MAX_PSF_SIGMA_PX = 64.0
#: Largest image side and pixel count (8K UHD, 7680 x 4320, is 33 M px; a float64 RGB image of
#: 2^26 px is 1.5 GiB).
MAX_IMAGE_SIDE_PX = 16384
MAX_IMAGE_PIXELS = 1 << 26
#: Star-pixel pairs per chunk (about 32 MB per float64 temporary).
STAMP_ELEMENTS = 1 << 22


class RenderError(HeliosError):
    """An image or a point-spread function beyond what the renderers draw."""


def check_image_size(width: int, height: int, what: str | None = None) -> None:
    """Refuse an image side or a pixel count beyond :data:`MAX_IMAGE_SIDE_PX` / :data:`MAX_IMAGE_PIXELS`
    (``what`` names the value in the message; by default ``image size W x H px``)."""
    if not (1 <= width <= MAX_IMAGE_SIDE_PX and 1 <= height <= MAX_IMAGE_SIDE_PX and width * height <= MAX_IMAGE_PIXELS):
        raise RenderError(f"{what or f'image size {width} x {height} px'}: at most {MAX_IMAGE_SIDE_PX} px a side and "
                          f"{MAX_IMAGE_PIXELS:,} px in all (8K UHD, 7680 x 4320, is 33,177,600 px)")


def check_psf_sigma(sigma: float, what: str | None = None) -> None:
    """Refuse a point-spread function that is not a finite width in (0, :data:`MAX_PSF_SIGMA_PX`] pixels
    (``what`` names the value in the message; by default ``PSF sigma S px``)."""
    if not (math.isfinite(sigma) and 0 < sigma <= MAX_PSF_SIGMA_PX):
        raise RenderError(f"{what or f'PSF sigma {sigma} px'}: give a number of pixels in (0, {MAX_PSF_SIGMA_PX:g}] "
                          f"(a star's stamp reaches 4 sigma)")


def _stamp_weights(centre: torch.Tensor, first: torch.Tensor, offsets: torch.Tensor, sigma: float) -> torch.Tensor:
    """``[P, K]`` fractions of a 1-D Gaussian at ``centre`` that fall in pixels ``first + offsets`` (summing to 1)."""
    edges = (first[:, None] + torch.cat([offsets, offsets[-1:] + 1])) - centre[:, None]
    cdf = torch.special.erf(edges / (sigma * math.sqrt(2.0)))
    weights = 0.5 * (cdf[:, 1:] - cdf[:, :-1])
    return weights / weights.sum(dim=1, keepdim=True)


def render_points(
    positions: np.ndarray | torch.Tensor,  # [N, 3] in the cameras' world frame, pc
    colours: np.ndarray | torch.Tensor,  # [N, 3] linear sRGB, unit luminance
    abs_mag: np.ndarray | torch.Tensor,  # [N]
    views: Views,
    psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX,
    device: torch.device | str = "cpu",
    out: torch.Tensor | None = None,
) -> torch.Tensor:
    """``[C, H, W, 3]`` float64 linear flux images of the stars (added into ``out`` when given).

    Raises :class:`RenderError` for an image beyond :func:`check_image_size` or a PSF beyond
    :func:`check_psf_sigma`, before allocating anything.
    """
    width, height = views.width, views.height
    check_image_size(width, height)
    check_psf_sigma(psf_sigma_px)
    device = torch.device(device)
    reach = int(math.ceil(4 * psf_sigma_px))
    offsets = torch.arange(-reach, reach + 1, device=device)
    if out is None:
        out = torch.zeros((len(views), height, width, 3), dtype=torch.float64, device=device)
    positions = torch.as_tensor(positions, dtype=torch.float64, device=device)
    colours = torch.as_tensor(colours, dtype=torch.float64, device=device)
    luminosity = 10.0 ** (-0.4 * torch.as_tensor(abs_mag, dtype=torch.float64, device=device))
    viewmats, Ks = views.viewmats.to(device, torch.float64), views.Ks.to(device, torch.float64)
    chunk = max(1, STAMP_ELEMENTS // len(offsets) ** 2)
    for c in range(len(views)):
        canvas = out[c].view(-1, 3)
        rotation, translation, K = viewmats[c, :3, :3], viewmats[c, :3, 3], Ks[c]
        for start in range(0, len(positions), chunk):
            cam = positions[start:start + chunk] @ rotation.T + translation
            z = cam[:, 2]
            u = K[0, 0] * cam[:, 0] / z + K[0, 2]
            v = K[1, 1] * cam[:, 1] / z + K[1, 2]
            fu, fv = torch.floor(u), torch.floor(v)
            keep = (z > 0) & (fu >= -reach) & (fu < width + reach) & (fv >= -reach) & (fv < height + reach)
            if not bool(keep.any()):
                continue
            u, v, fu, fv = u[keep], v[keep], fu[keep], fv[keep]
            flux = luminosity[start:start + chunk][keep] * 100.0 / torch.sum(cam[keep] ** 2, dim=1)
            wx = _stamp_weights(u, fu, offsets, psf_sigma_px)
            wy = _stamp_weights(v, fv, offsets, psf_sigma_px)
            px = fu.long()[:, None] + offsets  # [P, K]
            py = fv.long()[:, None] + offsets
            inside = ((px >= 0) & (px < width))[:, None, :] & ((py >= 0) & (py < height))[:, :, None]  # [P, Ky, Kx]
            weight = (flux[:, None] * wy)[:, :, None] * wx[:, None, :]
            # A stamp's pixels off the image add an exact 0 to pixel 0 (cheaper than dropping them; the same sums)
            pixel = torch.where(inside, py[:, :, None] * width + px[:, None, :], 0)
            values = torch.where(inside, weight, 0.0)[..., None] * colours[start:start + chunk][keep][:, None, None, :]
            canvas.index_add_(0, pixel.reshape(-1), values.reshape(-1, 3))
    return out
