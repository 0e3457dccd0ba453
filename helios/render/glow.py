"""Gaussians as optically thin light, on the photometric scale of :mod:`helios.photometry`.

A level of detail replaces many faint stars by a few Gaussians.  Each Gaussian is an emitter of
luminosity ``L`` (its flux at 10 pc, like a star's ``10^(-0.4 M)``) spread over a 3-D Gaussian of
covariance ``Sigma``.  Seen from distance ``d`` it puts the flux ``F = L (10 pc / d)^2`` times its
colour (unit luminance) into the image, spread as a normalised 2-D Gaussian: the EWA projection
``J W Sigma W^T J^T`` of its covariance, widened by the stars' point-spread function
(``psf_sigma^2``) and a pixel's own width (``1/12 px^2``), and normalised, so that its pixels sum to
``F`` at any size: a Gaussian far smaller than a pixel is drawn as the star it stands for.
Gaussians add (starlight is optically thin); nothing is sorted or occluded.

PyTorch, differentiable in every input (training fits levels through it), CPU or GPU.  Pixels
are handled as (Gaussian, pixel) pairs within each Gaussian's 4-sigma box clipped to the image, in
chunks of at most ``max_pairs`` pairs.  A render may draw a wide Gaussian on a coarser grid of
pixels and interpolate it up (``max_pitch``): a near cell's few Gaussians can be hundreds of pixels
wide, and each pixel of their boxes would otherwise cost as much as a star.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch

from helios.cameras import Views
from helios.render.points import DEFAULT_PSF_SIGMA_PX

#: Half-width of a Gaussian's stamp, in standard deviations of its widest axis on the screen.
EXTENT_SIGMAS = 4.0
#: A pixel's width as a variance (a uniform distribution over one pixel).
PIXEL_VARIANCE = 1.0 / 12.0
DEFAULT_MAX_PAIRS = 1 << 23


def screen_covariances(means_cam: torch.Tensor, covariances_cam: torch.Tensor, fx: float, fy: float) -> torch.Tensor:
    """``[N, 2, 2]`` pixel covariances of 3-D Gaussians in camera coordinates (pinhole Jacobian at the mean)."""
    x, y, z = means_cam.unbind(-1)
    zeros = torch.zeros_like(z)
    jacobian = torch.stack([torch.stack([fx / z, zeros, -fx * x / z**2], -1), torch.stack([zeros, fy / z, -fy * y / z**2], -1)], -2)
    return jacobian @ covariances_cam @ jacobian.transpose(-1, -2)


def render_glow(
    means: torch.Tensor,  # [N, 3] pc, in the cameras' world frame
    covariances: torch.Tensor,  # [N, 3, 3] pc^2
    luminosity: torch.Tensor,  # [N] flux at 10 pc
    colours: torch.Tensor,  # [N, 3] linear sRGB, unit luminance
    views: Views,
    psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    out: torch.Tensor | None = None,
    max_pitch: int = 1,
    coarse: CoarseGrids | None = None,
) -> torch.Tensor:
    """``[C, H, W, 3]`` linear flux images of the Gaussians (the inputs' dtype and device).  With ``out``
    (contiguous ``[C, H, W, 3]``, not requiring gradients) the light is added into it in place and it is
    returned: a sky of thousands of cells then needs no full-size image per cell.

    ``max_pitch`` > 1 lets wide Gaussians be drawn on coarser grids (see :func:`pitches`) and
    interpolated up: their light and shape are kept and their cost no longer grows with their area.
    With ``coarse`` those grids are kept there, to be interpolated once for many calls
    (:meth:`CoarseGrids.add_to`); ``out`` then holds only the light of the Gaussians drawn at pitch 1."""
    device, dtype = means.device, means.dtype
    width, height = views.width, views.height
    images = []
    for c in range(len(views)):
        rotation = views.viewmats[c, :3, :3].to(device, dtype)
        translation = views.viewmats[c, :3, 3].to(device, dtype)
        K = views.Ks[c].to(device, dtype)
        fx, fy, cx, cy = float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2])
        cam = means @ rotation.T + translation
        in_front = cam[:, 2] > 0
        cam, index = cam[in_front], torch.where(in_front)[0]
        cov = screen_covariances(cam, rotation @ covariances[index] @ rotation.T, fx, fy)
        cov = cov + (psf_sigma_px**2 + PIXEL_VARIANCE) * torch.eye(2, device=device, dtype=dtype)
        u = fx * cam[:, 0] / cam[:, 2] + cx
        v = fy * cam[:, 1] / cam[:, 2] + cy
        flux = luminosity[index] * 100.0 / (cam**2).sum(-1)
        a, b, d = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
        det = a * d - b * b
        conic = torch.stack([d / det, -b / det, a / det], -1)
        # Normalised analytically: with at least the PSF's width (sigma >= 0.85 px) the sum over
        # the pixel grid equals the integral to ~1e-6; the box holds all but exp(-8) of the light.
        peak = flux / (2 * math.pi * torch.sqrt(det))
        middle, spread = 0.5 * (a + d), torch.sqrt((0.5 * (a - d)) ** 2 + b**2)
        splats = _Splats(u, v, conic, peak, torch.sqrt((middle + spread).detach()), colours[index])
        canvas = out[c] if out is not None else torch.zeros((height, width, 3), device=device, dtype=dtype)
        if max_pitch == 1:  # training: every Gaussian at pixel pitch, without grouping them first
            groups = [(1, splats)]
        else:
            pitch_of = pitches(torch.sqrt((middle - spread).detach().clamp(min=0)), max_pitch)
            groups = [(pitch, splats.take(torch.where(pitch_of == pitch)[0])) for pitch in torch.unique(pitch_of).tolist()]
        for pitch, chosen in groups:
            if pitch == 1:
                canvas = _splat(chosen, canvas.view(height * width, 3), width, 1, 0, max_pairs, in_place=out is not None).view(height, width, 3)
                continue
            grids = coarse if coarse is not None else CoarseGrids(len(views), height, width)
            grid = grids.grid(c, int(pitch), device, dtype)
            _splat(chosen, grid.view(-1, 3), grid.shape[1], int(pitch), 1, max_pairs, in_place=True)
            if coarse is None:
                fine = _upsample(grid, int(pitch), height, width)
                canvas = canvas.add_(fine.to(canvas.dtype)) if out is not None else canvas + fine
        images.append(canvas)
    return out if out is not None else torch.stack(images)


#: A Gaussian is drawn on a grid whose pitch is at most this fraction of its narrowest screen sigma.
SIGMAS_PER_PITCH = 4.0


def pitches(narrowest_sigma_px: torch.Tensor, max_pitch: int) -> torch.Tensor:
    """The pixel-grid pitch each Gaussian is drawn at: the largest power of two, at most ``max_pitch``,
    with at least :data:`SIGMAS_PER_PITCH` grid steps per narrowest sigma.  Interpolating such a grid
    linearly changes a Gaussian's peak by about ``1 / (8 * 4^2)``, under 1 %, and keeps its light."""
    steps = torch.floor(torch.log2((narrowest_sigma_px / SIGMAS_PER_PITCH).clamp(min=1.0)))
    return torch.exp2(steps.clamp(max=math.log2(max(1, max_pitch)))).long()


class CoarseGrids:
    """Light drawn on grids coarser than the pixels, one per camera and pitch, added to the images at the end.

    A grid of pitch ``p`` holds samples at the centres of ``p x p`` blocks of pixels and reaches one
    block beyond the image on every side, so that pixels at the edge interpolate too."""

    def __init__(self, cameras: int, height: int, width: int) -> None:
        self.cameras, self.height, self.width = cameras, height, width
        self.grids: dict[tuple[int, int], torch.Tensor] = {}

    def grid(self, camera: int, pitch: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        """The ``[grid_h, grid_w, 3]`` grid of ``camera`` at ``pitch``, zero when new."""
        if (camera, pitch) not in self.grids:
            shape = (-(-self.height // pitch) + 2, -(-self.width // pitch) + 2, 3)
            self.grids[(camera, pitch)] = torch.zeros(shape, device=device, dtype=dtype)
        return self.grids[(camera, pitch)]

    def add_to(self, images: torch.Tensor) -> torch.Tensor:
        """Interpolate every grid to the pixels and add it to the ``[C, H, W, 3]`` images, in place."""
        for (camera, pitch), grid in sorted(self.grids.items()):
            images[camera] += _upsample(grid, pitch, self.height, self.width).to(images.dtype)
        return images


def _upsample(grid: torch.Tensor, pitch: int, height: int, width: int) -> torch.Tensor:
    """A coarse grid (one block of padding) interpolated bilinearly to ``[height, width, 3]`` pixels."""
    fine = torch.nn.functional.interpolate(grid.permute(2, 0, 1)[None], scale_factor=pitch, mode="bilinear", align_corners=False)
    return fine[0].permute(1, 2, 0)[pitch:pitch + height, pitch:pitch + width]


@dataclass(frozen=True)
class _Splats:
    """Projected Gaussians, one row each."""

    u: torch.Tensor  # [N] screen x of the centre, px
    v: torch.Tensor  # [N] screen y
    conic: torch.Tensor  # [N, 3] inverse screen covariance (xx, xy, yy)
    peak: torch.Tensor  # [N] flux per pixel at the centre
    widest: torch.Tensor  # [N] sigma along the widest screen axis, px (no gradient)
    colours: torch.Tensor  # [N, 3]

    def take(self, chosen: torch.Tensor) -> _Splats:
        return _Splats(*(getattr(self, f.name)[chosen] for f in fields(self)))


def _splat(splats: _Splats, grid: torch.Tensor, grid_w: int, pitch: int, pad: int, max_pairs: int, in_place: bool) -> torch.Tensor:
    """Add ``splats`` to a flattened ``[grid_h * grid_w, 3]`` grid whose sample ``(gx, gy)`` lies at pixel
    coordinates ``((gx - pad + 0.5) * pitch, (gy - pad + 0.5) * pitch)``: the pixel centres when
    ``pitch`` is 1 and ``pad`` 0."""
    device, dtype = splats.u.device, splats.u.dtype
    grid_h = grid.shape[0] // grid_w
    reach = torch.ceil(EXTENT_SIGMAS * splats.widest / pitch).long()
    fu, fv = torch.floor(splats.u.detach() / pitch).long() + pad, torch.floor(splats.v.detach() / pitch).long() + pad
    x0, x1 = (fu - reach).clamp(min=0), (fu + reach).clamp(max=grid_w - 1)
    y0, y1 = (fv - reach).clamp(min=0), (fv + reach).clamp(max=grid_h - 1)
    keep = torch.where((x0 <= x1) & (y0 <= y1))[0]  # boxes that meet the grid
    box_w, box_h = (x1 - x0 + 1)[keep], (y1 - y0 + 1)[keep]
    pairs_each = box_w * box_h
    start = 0
    while start < len(keep):
        total = torch.cumsum(pairs_each[start:], 0)
        stop = start + max(1, int(torch.searchsorted(total, torch.tensor(max_pairs, device=device), right=True)))
        chunk, counts, bw = keep[start:stop], pairs_each[start:stop], box_w[start:stop]
        owner = torch.repeat_interleave(torch.arange(len(chunk), device=device), counts)
        offset = torch.arange(int(counts.sum()), device=device) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
        gx = x0[chunk][owner] + offset % bw[owner]
        gy = y0[chunk][owner] + offset // bw[owner]
        dx = (gx.to(dtype) - pad + 0.5) * pitch - splats.u[chunk][owner]
        dy = (gy.to(dtype) - pad + 0.5) * pitch - splats.v[chunk][owner]
        q = splats.conic[chunk][owner]
        weight = splats.peak[chunk][owner] * torch.exp(-0.5 * (q[:, 0] * dx * dx + 2 * q[:, 1] * dx * dy + q[:, 2] * dy * dy))
        light = weight[:, None] * splats.colours[chunk][owner]
        if in_place:
            grid.index_add_(0, gy * grid_w + gx, light.to(grid.dtype))
        else:
            grid = grid.index_add(0, gy * grid_w + gx, light)
        start = stop
    return grid
