"""Ground-truth renderers in float64, independent of the renderers being trained.

``starfield`` (the default ground truth): each star is an emissive point
source.  Its image is a Gaussian point-spread function of fixed width
(``psf_sigma_px``) with peak value ``exposure * L / d^2`` times its linear
RGB, where L is its luminosity (``10^(-0.4 M)``) and d its distance to the
camera; stars add up and the image is clipped to [0, 1].  One exposure serves
every view of a cell (:func:`starfield_exposure`).

``splats``: the classic 3DGS image of given Gaussians, written the slow,
obvious way: every Gaussian against every pixel, sorted by depth, blended front
to back with the same constants as gsplat.  Also the oracle that the fast
rasterisers are tested against.
"""

from __future__ import annotations

import numpy as np
import torch

from helios.cameras import Views

ALPHA_THRESHOLD = 1.0 / 255.0
MAX_ALPHA = 0.999
TRANSMITTANCE_MIN = 1e-4
EPS2D = 0.3
NEAR_PLANE = 0.01


def _camera_space(points: np.ndarray, view: np.ndarray) -> np.ndarray:
    return points @ view[:3, :3].T + view[:3, 3]


def starfield_exposure(positions: np.ndarray, luminosity: np.ndarray, views: Views, percentile: float = 90.0) -> float:
    """One exposure for a cell: the star at ``percentile`` of flux (seen from the mean
    camera distance) peaks at 1; brighter stars saturate."""
    if len(positions) == 0:
        return 1.0
    eyes = -np.einsum("cji,cj->ci", views.viewmats[:, :3, :3].double().numpy(), views.viewmats[:, :3, 3].double().numpy())
    distance = np.linalg.norm(eyes, axis=1).mean()
    flux = np.asarray(luminosity, dtype=np.float64) / distance**2
    return float(1.0 / max(np.percentile(flux, percentile), 1e-300))


# Star-pixel pairs (stars x views x stamp pixels) handled at once: bounds the temporaries to ~130 MB each.
STAMP_ELEMENTS = 1 << 24


def render_starfield(
    positions: np.ndarray,  # [N, 3]
    rgb: np.ndarray,  # [N, 3] linear
    luminosity: np.ndarray,  # [N]
    views: Views,
    exposure: float,
    psf_sigma_px: float = 1.0,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """``[C, H, W, 3]`` float64 images of the star field, computed on ``device``.

    Each star adds a ``(2 reach + 1)^2`` stamp of its PSF, separable as
    ``exp(-dx^2 / 2s^2) exp(-dy^2 / 2s^2)``, into an image padded by
    ``2 reach`` on every side (so no stamp needs clipping), then the padding is
    cut off.  Stars that cannot reach a view (behind it, beyond its edges,
    non-finite) add nothing.  Written in PyTorch, several views at a time, so
    that a GPU job renders its ground truth on the GPU in a few dozen kernel
    launches and without waiting for it (a training job shares the GPU with
    others; BENCHMARKS.md): there every (view, star) pair is drawn, with zero
    weight where it cannot reach, instead of selecting pairs.  The stamps are
    added with a 1-D ``index_add_``, which the CPU does in order: the same
    images every run.
    """
    device = torch.device(device)
    width, height = views.width, views.height
    reach = int(np.ceil(4 * psf_sigma_px))
    offsets = torch.arange(-reach, reach + 1, device=device)
    pad = 2 * reach
    padded_w, padded_h = width + 2 * pad, height + 2 * pad
    positions = torch.as_tensor(np.asarray(positions, dtype=np.float64), device=device)
    luminosity = torch.as_tensor(np.asarray(luminosity, dtype=np.float64), device=device)
    rgb = torch.as_tensor(np.asarray(rgb, dtype=np.float64), device=device)
    viewmats, Ks = views.viewmats.to(device, torch.float64), views.Ks.to(device, torch.float64)
    images = torch.zeros((len(views), height, width, 3), dtype=torch.float64, device=device)
    chunk = max(1, STAMP_ELEMENTS // max(1, len(positions) * len(offsets) ** 2))
    for start in range(0, len(views), chunk):
        rotation, translation, K = viewmats[start:start + chunk, :3, :3], viewmats[start:start + chunk, :3, 3], Ks[start:start + chunk]
        n_views = len(rotation)
        cam = torch.einsum("cij,nj->cni", rotation, positions) + translation[:, None, :]  # [V, N, 3]
        u = K[:, 0, 0, None] * cam[..., 0] / cam[..., 2] + K[:, 0, 2, None]
        v = K[:, 1, 1, None] * cam[..., 1] / cam[..., 2] + K[:, 1, 2, None]
        fu, fv = torch.floor(u), torch.floor(v)
        near = (cam[..., 2] > NEAR_PLANE) & torch.isfinite(fu) & torch.isfinite(fv)
        near &= (fu >= -reach) & (fu < width + reach) & (fv >= -reach) & (fv < height + reach)
        peak = exposure * luminosity / torch.sum(cam**2, dim=-1)
        view_of = torch.arange(n_views, device=device)[:, None].expand(-1, len(positions))
        colour = rgb.expand(n_views, -1, -1)
        if device.type == "cpu":  # only the (view, star) pairs that reach the image; in view-then-star order
            u, v, fu, fv, peak, view_of, colour = (t[near] for t in (u, v, fu, fv, peak, view_of, colour))
        else:  # every pair, zero where it cannot reach: no data-dependent shape, so no wait for the GPU
            u, v, fu, fv, peak = (torch.where(near, t, 0.0) for t in (u, v, fu, fv, peak))
            u, v, fu, fv, peak, view_of, colour = (t.reshape(-1, *t.shape[2:]) for t in (u, v, fu, fv, peak, view_of, colour))
        px = fu.long()[:, None] + offsets  # [P, K]
        py = fv.long()[:, None] + offsets
        gx = torch.exp(-((px + 0.5 - u[:, None]) ** 2) / (2 * psf_sigma_px**2))
        gy = torch.exp(-((py + 0.5 - v[:, None]) ** 2) / (2 * psf_sigma_px**2))
        stamp = (peak[:, None] * gy)[:, :, None] * gx[:, None, :]  # [P, K(y), K(x)]
        flat = (view_of[:, None, None] * (padded_h * padded_w) + (py + pad)[:, :, None] * padded_w + (px + pad)[:, None, :]).reshape(-1)
        canvas = torch.zeros((3, n_views * padded_h * padded_w), dtype=torch.float64, device=device)
        for channel in range(3):
            canvas[channel].index_add_(0, flat, (stamp * colour[:, channel, None, None]).reshape(-1))
        canvas = canvas.view(3, n_views, padded_h, padded_w)[..., pad:pad + height, pad:pad + width]
        images[start:start + n_views] = canvas.permute(1, 2, 3, 0)
    return images.clamp_(0.0, 1.0)


def covariances(quats: np.ndarray, scales: np.ndarray) -> np.ndarray:
    q = quats / np.linalg.norm(quats, axis=1, keepdims=True)
    w, x, y, z = q.T
    rotation = np.stack(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
            [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
            [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
        ]
    ).transpose(2, 0, 1)
    m = rotation * scales[:, None, :]
    return m @ m.transpose(0, 2, 1)


def render_splats(
    means: np.ndarray,  # [N, 3]
    quats: np.ndarray,  # [N, 4]
    scales: np.ndarray,  # [N, 3] activated
    opacities: np.ndarray,  # [N] activated
    colors: np.ndarray,  # [N, 3]
    views: Views,
) -> np.ndarray:
    """``[C, H, W, 3]`` float64 classic-3DGS images on black, all pairs (slow)."""
    width, height = views.width, views.height
    ys, xs = np.mgrid[0:height, 0:width]
    pixel = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    covars = covariances(np.asarray(quats, np.float64), np.asarray(scales, np.float64))
    images = np.zeros((len(views), height * width, 3))
    viewmats, Ks = views.viewmats.double().numpy(), views.Ks.double().numpy()
    for c in range(len(views)):
        view, K = viewmats[c], Ks[c]
        cam = _camera_space(np.asarray(means, np.float64), view)
        order = np.argsort(cam[:, 2], kind="stable")
        transmittance = np.ones(height * width)
        done = np.zeros(height * width, dtype=bool)
        fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
        lim_x = (cx / fx + 0.15 * width / fx, (width - cx) / fx + 0.15 * width / fx)
        lim_y = (cy / fy + 0.15 * height / fy, (height - cy) / fy + 0.15 * height / fy)
        for i in order:
            x, y, z = cam[i]
            if z <= NEAR_PLANE or opacities[i] < ALPHA_THRESHOLD:
                continue
            tx = z * np.clip(x / z, -lim_x[0], lim_x[1])
            ty = z * np.clip(y / z, -lim_y[0], lim_y[1])
            jac = np.array([[fx / z, 0, -fx * tx / z**2], [0, fy / z, -fy * ty / z**2]])
            cov2d = jac @ view[:3, :3] @ covars[i] @ view[:3, :3].T @ jac.T + EPS2D * np.eye(2)
            conic = np.linalg.inv(cov2d)
            delta = np.array([fx * x / z + cx, fy * y / z + cy]) - pixel
            sigma = 0.5 * np.einsum("pi,ij,pj->p", delta, conic, delta)
            alpha = np.minimum(MAX_ALPHA, opacities[i] * np.exp(-sigma))
            use = (alpha >= ALPHA_THRESHOLD) & ~done
            next_t = transmittance * (1 - alpha)
            stop = use & (next_t <= TRANSMITTANCE_MIN)
            done |= stop
            use &= ~stop
            images[c, use] += (alpha * transmittance)[use, None] * colors[i]
            transmittance = np.where(use, next_t, transmittance)
    return images.reshape(len(views), height, width, 3)
