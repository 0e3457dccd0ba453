"""A differentiable 3DGS rasteriser in plain PyTorch (CPU or CUDA).

The same classic math as gsplat's ``rasterize_mode="classic"``: EWA projection
of each 3-D covariance with the pinhole Jacobian (view-frustum clamp of
1.3 tan(fov/2)), 0.3 px^2 dilation, an opacity-aware 3.33-sigma screen
extent, alpha = min(0.999, o exp(-sigma)) skipped below 1/255, front-to-back
compositing that stops (exclusively) once transmittance would fall to 1e-4.

Instead of gsplat's tiles it lists only the (pixel, Gaussian) pairs inside
each Gaussian's screen box, sorts them by (camera, pixel, depth), gets each
pair's transmittance from a segmented cumulative sum of log(1 - alpha) and
scatters colours with ``index_add_``.  Cost and memory follow the number of
pairs; cameras are processed one at a time when the pairs of all of them
together would exceed ``max_pairs``.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from helios.cameras import Views
from helios.covariance import quat_scale_to_covar

ALPHA_THRESHOLD = 1.0 / 255.0
MAX_ALPHA = 0.999
TRANSMITTANCE_MIN = 1e-4
EXTEND = 3.33
EPS2D = 0.3
NEAR_PLANE = 0.01
DEFAULT_MAX_PAIRS = 16_000_000


def project(
    means: torch.Tensor,  # [N, 3]
    covars: torch.Tensor,  # [N, 3, 3]
    opacities: torch.Tensor,  # [N]
    views: Views,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """EWA projection: ``means2d [C, N, 2], conics [C, N, 3], depths [C, N], radii [C, N, 2] int32``."""
    rotation = views.viewmats[:, :3, :3]  # [C, 3, 3]
    translation = views.viewmats[:, :3, 3]  # [C, 3]
    means_c = torch.einsum("cij,nj->cni", rotation, means) + translation[:, None, :]  # [C, N, 3]
    covars_c = rotation[:, None] @ covars[None] @ rotation.transpose(-1, -2)[:, None]  # [C, N, 3, 3]
    tx, ty, tz = means_c.unbind(-1)
    fx, fy = views.Ks[:, 0, 0, None], views.Ks[:, 1, 1, None]
    cx, cy = views.Ks[:, 0, 2, None], views.Ks[:, 1, 2, None]
    width, height = views.width, views.height
    tan_x, tan_y = 0.5 * width / fx, 0.5 * height / fy
    safe_z = torch.where(tz.abs() > 1e-12, tz, torch.full_like(tz, 1e-12))
    cx_clamped = safe_z * torch.clamp(tx / safe_z, min=-(cx / fx + 0.3 * tan_x), max=(width - cx) / fx + 0.3 * tan_x)
    cy_clamped = safe_z * torch.clamp(ty / safe_z, min=-(cy / fy + 0.3 * tan_y), max=(height - cy) / fy + 0.3 * tan_y)
    zeros = torch.zeros_like(tz)
    jacobian = torch.stack(
        [fx / safe_z, zeros, -fx * cx_clamped / safe_z**2, zeros, fy / safe_z, -fy * cy_clamped / safe_z**2], dim=-1
    ).reshape(*tz.shape, 2, 3)
    cov2d = jacobian @ covars_c @ jacobian.transpose(-1, -2)
    cov2d = cov2d + EPS2D * torch.eye(2, dtype=cov2d.dtype, device=cov2d.device)
    a, b, c = cov2d[..., 0, 0], 0.5 * (cov2d[..., 0, 1] + cov2d[..., 1, 0]), cov2d[..., 1, 1]
    det = (a * c - b * b).clamp_min(1e-10)
    conics = torch.stack([c / det, -b / det, a / det], dim=-1)
    means2d = torch.stack([fx * tx / safe_z + cx, fy * ty / safe_z + cy], dim=-1)
    with torch.no_grad():
        opac = opacities.detach()[None].expand_as(tz)
        extend = torch.sqrt(2.0 * torch.log(opac.clamp_min(ALPHA_THRESHOLD) / ALPHA_THRESHOLD)).clamp(max=EXTEND)
        radius = torch.stack([torch.ceil(extend * a.sqrt()), torch.ceil(extend * c.sqrt())], dim=-1)
        valid = (a * c - b * b > 0) & (tz > NEAR_PLANE) & (opac >= ALPHA_THRESHOLD)
        inside = (
            (means2d[..., 0] + radius[..., 0] > 0) & (means2d[..., 0] - radius[..., 0] < width)
            & (means2d[..., 1] + radius[..., 1] > 0) & (means2d[..., 1] - radius[..., 1] < height)
        )
        keep = valid & inside & (radius > 0).all(-1)
        radii = torch.where(keep[..., None], radius, torch.zeros_like(radius)).to(torch.int32)
    return means2d, conics, tz, radii


def _pairs(means2d: torch.Tensor, radii: torch.Tensor, width: int, height: int) -> tuple[torch.Tensor, ...]:
    """Visible (camera, gaussian) ids and, per pair, its index into them and its pixel (x, y)."""
    cam, gid = torch.nonzero((radii > 0).all(-1), as_tuple=True)
    centre = means2d.detach()[cam, gid]
    r = radii[cam, gid].to(centre.dtype)
    x0 = torch.ceil(centre[:, 0] - r[:, 0] - 0.5).clamp(0, width - 1).long()
    x1 = torch.floor(centre[:, 0] + r[:, 0] - 0.5).clamp(0, width - 1).long()
    y0 = torch.ceil(centre[:, 1] - r[:, 1] - 0.5).clamp(0, height - 1).long()
    y1 = torch.floor(centre[:, 1] + r[:, 1] - 0.5).clamp(0, height - 1).long()
    w = (x1 - x0 + 1).clamp_min(0)
    counts = w * (y1 - y0 + 1).clamp_min(0)
    owner = torch.repeat_interleave(torch.arange(len(counts), device=counts.device), counts)
    starts = torch.cumsum(counts, 0) - counts
    local = torch.arange(owner.numel(), device=counts.device) - starts[owner]
    px = x0[owner] + local % w[owner]
    py = y0[owner] + local // w[owner]
    return cam, gid, counts, owner, px, py


def _rows(source: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``source[index]`` whose backward is reproducible on a multithreaded CPU.

    The backward of ``source[index]`` accumulates with parallel atomic adds on
    the CPU (float32, more than one thread), so gradients change in their last
    bits from run to run; ``index_select``'s backward (``index_add_``) does not.
    """
    return torch.index_select(source, 0, index)


def _composite(
    means2d: torch.Tensor, conics: torch.Tensor, depths: torch.Tensor, radii: torch.Tensor,
    opacities: torch.Tensor, colors: torch.Tensor, width: int, height: int, n_cameras: int,
) -> torch.Tensor:
    """Composite the cameras in ``radii`` (all of them) into ``[C * H * W, 3]``."""
    device = colors.device
    out = torch.zeros(n_cameras * height * width, colors.shape[-1], dtype=colors.dtype, device=device)
    cam, gid, _, owner, px, py = _pairs(means2d, radii, width, height)
    if owner.numel() == 0:
        return out + 0.0 * (colors.sum() + means2d.sum())  # keep the graph (and means2d's grad) connected
    pair_cam, pair_gid = cam[owner], gid[owner]
    pixel = (pair_cam * height + py) * width + px
    n = depths.shape[1]
    with torch.no_grad():
        rank = torch.empty_like(depths, dtype=torch.long)
        order = torch.argsort(depths.detach(), dim=1, stable=True)
        rank.scatter_(1, order, torch.arange(n, device=device).expand_as(order))
        sort = torch.argsort(pixel * n + rank[pair_cam, pair_gid], stable=True)
    pixel, pair_cam, pair_gid = pixel[sort], pair_cam[sort], pair_gid[sort]
    px, py = px[sort], py[sort]
    pair = pair_cam * n + pair_gid
    centre = _rows(means2d.reshape(-1, 2), pair)
    dx = centre[:, 0] - (px.to(means2d.dtype) + 0.5)
    dy = centre[:, 1] - (py.to(means2d.dtype) + 0.5)
    conic = _rows(conics.reshape(-1, 3), pair)
    sigma = 0.5 * (conic[:, 0] * dx * dx + conic[:, 2] * dy * dy) + conic[:, 1] * dx * dy
    alpha = torch.clamp_max(_rows(opacities, pair_gid) * torch.exp(-sigma), MAX_ALPHA)
    alpha = torch.where((sigma >= 0) & (alpha >= ALPHA_THRESHOLD), alpha, torch.zeros_like(alpha))
    log_keep = torch.log1p(-alpha).double()
    inclusive = torch.cumsum(log_keep, 0)
    with torch.no_grad():
        first = torch.ones_like(pixel, dtype=torch.bool)
        first[1:] = pixel[1:] != pixel[:-1]
        segment = torch.cumsum(first.long(), 0) - 1
        start_index = torch.nonzero(first, as_tuple=True)[0]
    base = _rows(_rows(inclusive - log_keep, start_index), segment)
    log_t_after = inclusive - base
    transmittance = torch.exp(log_t_after - log_keep).to(alpha.dtype)
    alive = (log_t_after > math.log(TRANSMITTANCE_MIN)).detach()
    weight = torch.where(alive, alpha * transmittance, torch.zeros_like(alpha))
    return out.index_add(0, pixel, weight[:, None] * _rows(colors, pair_gid))


def rasterize_torch(
    means: torch.Tensor,  # [N, 3]
    quats: torch.Tensor,  # [N, 4]
    scales: torch.Tensor,  # [N, 3] activated
    opacities: torch.Tensor,  # [N] activated
    colors: torch.Tensor,  # [N, D]
    views: Views,
    max_pairs: int = DEFAULT_MAX_PAIRS,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Render ``[C, H, W, D]`` on black; ``info`` has the keys gsplat's DefaultStrategy reads."""
    width, height, n_cameras = views.width, views.height, len(views)
    covars = quat_scale_to_covar(quats, scales)
    means2d, conics, depths, radii = project(means, covars, opacities, views)
    with torch.no_grad():
        box = (2 * radii[..., 0].long() + 1).clamp(max=width) * (2 * radii[..., 1].long() + 1).clamp(max=height)
        total_pairs = int((box * (radii > 0).all(-1)).sum())
    if total_pairs <= max_pairs or n_cameras == 1:
        flat = _composite(means2d, conics, depths, radii, opacities, colors, width, height, n_cameras)
    else:
        flat = torch.cat([
            _composite(means2d[c:c + 1], conics[c:c + 1], depths[c:c + 1], radii[c:c + 1], opacities, colors, width, height, 1)
            for c in range(n_cameras)
        ])
    images = flat.reshape(n_cameras, height, width, -1)
    info = {
        "means2d": means2d,
        "radii": radii,
        "depths": depths,
        "conics": conics,
        "width": width,
        "height": height,
        "n_cameras": n_cameras,
        "gaussian_ids": None,
        "n_pairs": total_pairs,
    }
    return images, info
