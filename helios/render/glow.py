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
chunks of at most ``max_pairs`` pairs.
"""

from __future__ import annotations

import math

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
) -> torch.Tensor:
    """``[C, H, W, 3]`` linear flux images of the Gaussians (the inputs' dtype and device).  With ``out``
    (contiguous ``[C, H, W, 3]``, not requiring gradients) the light is added into it in place and it is
    returned: a sky of thousands of cells then needs no full-size image per cell."""
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
        largest = 0.5 * (a + d) + torch.sqrt((0.5 * (a - d)) ** 2 + b**2)
        reach = torch.ceil(EXTENT_SIGMAS * torch.sqrt(largest.detach())).long()
        fu, fv = torch.floor(u.detach()).long(), torch.floor(v.detach()).long()
        x0, x1 = (fu - reach).clamp(min=0), (fu + reach).clamp(max=width - 1)
        y0, y1 = (fv - reach).clamp(min=0), (fv + reach).clamp(max=height - 1)
        keep = torch.where((x0 <= x1) & (y0 <= y1))[0]  # boxes that meet the image
        box_w, box_h = (x1 - x0 + 1)[keep], (y1 - y0 + 1)[keep]
        pairs_each = box_w * box_h
        canvas = out[c].view(height * width, 3) if out is not None else torch.zeros((height * width, 3), device=device, dtype=dtype)
        start = 0
        while start < len(keep):
            total = torch.cumsum(pairs_each[start:], 0)
            stop = start + max(1, int(torch.searchsorted(total, torch.tensor(max_pairs, device=device), right=True)))
            chunk, counts, bw = keep[start:stop], pairs_each[start:stop], box_w[start:stop]
            owner = torch.repeat_interleave(torch.arange(len(chunk), device=device), counts)
            offset = torch.arange(int(counts.sum()), device=device) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
            px = x0[chunk][owner] + offset % bw[owner]
            py = y0[chunk][owner] + offset // bw[owner]
            dx = px.to(dtype) + 0.5 - u[chunk][owner]
            dy = py.to(dtype) + 0.5 - v[chunk][owner]
            q = conic[chunk][owner]
            weight = peak[chunk][owner] * torch.exp(-0.5 * (q[:, 0] * dx * dx + 2 * q[:, 1] * dx * dy + q[:, 2] * dy * dy))
            light = weight[:, None] * colours[index[chunk]][owner]
            if out is not None:
                canvas.index_add_(0, py * width + px, light.to(canvas.dtype))
            else:
                canvas = canvas.index_add(0, py * width + px, light)
            start = stop
        images.append(canvas.view(height, width, 3))
    return out if out is not None else torch.stack(images)

