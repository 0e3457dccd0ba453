"""gsplat (CUDA) behind HELIOS's rasteriser interface."""

from __future__ import annotations

import math
from typing import Any

import torch

from helios.cameras import Views

_built = False
TILE_SIZE = 16
NEAR_PLANE = 0.01
EPS2D = 0.3


def ensure_built() -> None:
    """Compile (or load from the extension cache) gsplat's CUDA code once per process."""
    global _built
    if _built:
        return
    from gsplat.cuda._backend import _C  # triggers the JIT build into TORCH_EXTENSIONS_DIR

    if _C is None:
        raise RuntimeError("gsplat's CUDA extension could not be built or loaded")
    _built = True


def rasterize_gsplat(
    means: torch.Tensor,  # [..., N, 3]
    quats: torch.Tensor,  # [..., N, 4]
    scales: torch.Tensor,  # [..., N, 3] activated
    opacities: torch.Tensor,  # [..., N] activated
    colors: torch.Tensor,  # [..., N, 3] activated
    views: Views,  # cameras [..., C, 4, 4] and [..., C, 3, 3]
) -> tuple[torch.Tensor, dict[str, Any]]:
    """``[..., C, H, W, 3]`` on a black background, and the ``info`` gsplat's strategies read.

    The same four calls ``gsplat.rasterization`` makes for these arguments
    (classic mode, unpacked, colours without spherical harmonics, no
    background; tested against it), made directly: a training step at 256 px
    is bound by the host, and the general wrapper's checks and bookkeeping are
    a measurable part of it (BENCHMARKS.md).
    """
    from gsplat import fully_fused_projection, isect_offset_encode, isect_tiles, rasterize_to_pixels

    batch_dims = means.shape[:-2]
    n_cameras = views.viewmats.shape[-3]
    n_images = math.prod(batch_dims) * n_cameras
    width, height = views.width, views.height
    radii, means2d, depths, conics, _ = fully_fused_projection(
        means, None, quats, scales, views.viewmats, views.Ks, width, height, eps2d=EPS2D, near_plane=NEAR_PLANE, opacities=opacities)
    tiles_x, tiles_y = math.ceil(width / TILE_SIZE), math.ceil(height / TILE_SIZE)
    _, isect_ids, flatten_ids = isect_tiles(means2d, radii, depths, TILE_SIZE, tiles_x, tiles_y, n_images=n_images)
    offsets = isect_offset_encode(isect_ids, n_images, tiles_x, tiles_y).reshape(*batch_dims, n_cameras, tiles_y, tiles_x)
    per_image = (*batch_dims, n_cameras, means.shape[-2])
    images, _ = rasterize_to_pixels(
        means2d, conics, torch.broadcast_to(colors[..., None, :, :], (*per_image, 3)), torch.broadcast_to(opacities[..., None, :], per_image),
        width, height, TILE_SIZE, offsets, flatten_ids)
    return images, {"means2d": means2d, "radii": radii, "width": width, "height": height, "n_cameras": n_cameras, "gaussian_ids": None}

