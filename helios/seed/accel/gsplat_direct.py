"""gsplat's kernels called directly, for the pinned gsplat version only.

A training step at 256 px is bound by the host, and ``gsplat.rasterization``'s
checks and bookkeeping are a measurable part of it (BENCHMARKS.md).  For the
gsplat version these calls were written against (:data:`PINNED_GSPLAT`,
checked by :func:`applies`), :func:`rasterize_gsplat_direct` makes the same
kernel calls as ``gsplat.rasterization`` for HELIOS's arguments (classic mode,
unpacked, colours without spherical harmonics, black background): through
gsplat's public projection / intersection / rasterisation functions when a
densification strategy needs their ``info``, else through one autograd node
over gsplat's private ``_C`` module.  Any other gsplat version gets
``gsplat.rasterization`` (``helios.seed.render.gsplat_backend``).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch

from helios.cameras import Views
from helios.seed.render.gsplat_backend import EPS2D, NEAR_PLANE, TILE_SIZE

PINNED_GSPLAT = "1.5.3"
FAR_PLANE = 1e10  # gsplat.rasterization's default


@functools.cache
def applies() -> bool:
    """Whether the installed gsplat is the version these direct calls were written and tested against."""
    import gsplat

    return gsplat.__version__ == PINNED_GSPLAT


def ensure_built() -> None:
    """Load gsplat's compiled module once per process (the recorded library, else gsplat's loader)."""
    if _compiled() is None:
        raise RuntimeError("gsplat's CUDA extension could not be built or loaded")


def _compiled():
    """gsplat's compiled module: the library the ``build_cuda_extensions`` rule recorded
    (``helios.seed.accel.cuda_extensions``), else gsplat's own loader, which builds it into
    ``TORCH_EXTENSIONS_DIR`` on first use.

    The recorded library spares a job gsplat's loader module, which imports
    ``torch.utils.cpp_extension`` and with it setuptools (0.15 s on the 2-core
    VM) even when nothing is built; gsplat's Python wrappers, which only the
    densification path calls, import it when they need it and then find the
    same library (``sys.modules["gsplat.csrc"]``).
    """
    from helios.seed.accel.cuda_extensions import loaded

    recorded = loaded("gsplat")
    if recorded is not None:
        return recorded
    from gsplat.cuda._backend import _C

    return _C


def rasterize_gsplat_direct(
    means: torch.Tensor,  # [..., N, 3]
    quats: torch.Tensor,  # [..., N, 4]
    scales: torch.Tensor,  # [..., N, 3] activated
    opacities: torch.Tensor,  # [..., N] activated
    colors: torch.Tensor,  # [..., N, 3] activated
    views: Views,  # cameras [..., C, 4, 4] and [..., C, 3, 3]
    with_info: bool = True,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """``[..., C, H, W, 3]`` on a black background, and the ``info`` gsplat's strategies read.

    The same four calls ``gsplat.rasterization`` makes for these arguments
    (classic mode, unpacked, colours without spherical harmonics, no
    background; tested against it), made directly: a training step at 256 px
    is bound by the host, and the general wrapper's checks and bookkeeping are
    a measurable part of it (BENCHMARKS.md).  Without ``with_info`` (no
    densification strategy to feed) the four go through one autograd node,
    :class:`_Render`, instead of gsplat's two.
    """
    if not with_info:
        return _Render.apply(means, quats, scales, opacities, colors, views.viewmats, views.Ks, views.width, views.height), {}
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


class _Render(torch.autograd.Function):
    """Projection, tile intersection and rasterisation with gsplat's kernels, as one autograd node.

    Forward: gsplat's ``projection_ewa_3dgs_fused_fwd``, ``intersect_tile``,
    ``intersect_offset`` and ``rasterize_to_pixels_3dgs_fwd`` with the
    arguments ``gsplat.rasterization`` passes; backward: its two backward
    kernels, the per-camera colour and opacity gradients summed over cameras
    (what autograd does for the broadcast).  The same kernels as through
    gsplat's wrappers (tested), with a fraction of the Python around them.
    """

    @staticmethod
    def forward(ctx, means, quats, scales, opacities, colors, viewmats, Ks, width: int, height: int) -> torch.Tensor:
        _C = _compiled()
        batch_dims, n = means.shape[:-2], means.shape[-2]
        n_cameras = viewmats.shape[-3]
        n_images = math.prod(batch_dims) * n_cameras
        pinhole = _C.CameraModelType.PINHOLE
        means, quats, scales, opacities = means.contiguous(), quats.contiguous(), scales.contiguous(), opacities.contiguous()
        viewmats, Ks = viewmats.contiguous(), Ks.contiguous()
        radii, means2d, depths, conics, _ = _C.projection_ewa_3dgs_fused_fwd(
            means, None, quats, scales, opacities, viewmats, Ks, width, height, EPS2D, NEAR_PLANE, FAR_PLANE, 0.0, False, pinhole)
        tiles_x, tiles_y = math.ceil(width / TILE_SIZE), math.ceil(height / TILE_SIZE)
        _, isect_ids, flatten_ids = _C.intersect_tile(means2d, radii, depths, None, None, n_images, TILE_SIZE, tiles_x, tiles_y, True, False)
        offsets = _C.intersect_offset(isect_ids, n_images, tiles_x, tiles_y).reshape(*batch_dims, n_cameras, tiles_y, tiles_x)
        per_camera_colors = colors[..., None, :, :].expand(*batch_dims, n_cameras, n, 3).contiguous()
        per_camera_opacities = opacities[..., None, :].expand(*batch_dims, n_cameras, n).contiguous()
        images, alphas, last_ids = _C.rasterize_to_pixels_3dgs_fwd(
            means2d, conics, per_camera_colors, per_camera_opacities, None, None, width, height, TILE_SIZE, offsets, flatten_ids)
        ctx.save_for_backward(means, quats, scales, viewmats, Ks, radii, means2d, depths, conics, per_camera_colors, per_camera_opacities,
                              offsets, flatten_ids, alphas, last_ids)
        ctx.size = (width, height)
        return images

    @staticmethod
    def backward(ctx, v_images: torch.Tensor):
        _C = _compiled()
        (means, quats, scales, viewmats, Ks, radii, means2d, depths, conics, per_camera_colors, per_camera_opacities,
         offsets, flatten_ids, alphas, last_ids) = ctx.saved_tensors
        width, height = ctx.size
        _, v_means2d, v_conics, v_colors, v_opacities = _C.rasterize_to_pixels_3dgs_bwd(
            means2d, conics, per_camera_colors, per_camera_opacities, None, None, width, height, TILE_SIZE, offsets, flatten_ids,
            alphas, last_ids, v_images.contiguous(), torch.zeros_like(alphas), False)
        v_means, _, v_quats, v_scales, _ = _C.projection_ewa_3dgs_fused_bwd(
            means, None, quats, scales, viewmats, Ks, width, height, EPS2D, _C.CameraModelType.PINHOLE, radii, conics, None,
            v_means2d, torch.zeros_like(depths), v_conics, None, False)
        return v_means, v_quats, v_scales, v_opacities.sum(dim=-2), v_colors.sum(dim=-3), None, None, None, None
