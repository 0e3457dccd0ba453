"""gsplat (CUDA) behind HELIOS's rasteriser interface: ``gsplat.rasterization``, classic 3DGS, unpacked.

For the pinned gsplat version :mod:`helios.seed.accel.gsplat_direct` makes the same
kernel calls with less Python around them (tested against this module);
:func:`helios.seed.render.rasterize` picks it when it applies.
"""

from __future__ import annotations

from typing import Any

import torch

from helios.cameras import Views

TILE_SIZE = 16
NEAR_PLANE = 0.01
EPS2D = 0.3


def rasterize_gsplat(
    means: torch.Tensor,  # [..., N, 3]
    quats: torch.Tensor,  # [..., N, 4]
    scales: torch.Tensor,  # [..., N, 3] activated
    opacities: torch.Tensor,  # [..., N] activated
    colors: torch.Tensor,  # [..., N, 3] activated
    views: Views,  # cameras [..., C, 4, 4] and [..., C, 3, 3]
    with_info: bool = True,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """``[..., C, H, W, 3]`` on a black background, and the ``info`` gsplat's strategies read."""
    from gsplat import rasterization

    images, _, info = rasterization(means, quats, scales, opacities, colors, views.viewmats, views.Ks, views.width, views.height,
                                    near_plane=NEAR_PLANE, eps2d=EPS2D, packed=False, rasterize_mode="classic", tile_size=TILE_SIZE)
    return images, info


def ensure_built() -> None:
    """Compile (or load from the extension cache) gsplat's CUDA code: render one Gaussian (gsplat builds on first use)."""
    one = torch.ones(1, 1, device="cuda")
    views = Views(torch.eye(4, device="cuda")[None], torch.tensor([[[16.0, 0, 8], [0, 16, 8], [0, 0, 1]]], device="cuda"), 16, 16)
    means = torch.tensor([[0.0, 0.0, 2.0]], device="cuda")
    rasterize_gsplat(means, torch.tensor([[1.0, 0, 0, 0]], device="cuda"), 0.1 * one.expand(1, 3), one[0], one.expand(1, 3), views)
