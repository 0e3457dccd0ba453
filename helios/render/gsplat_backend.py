"""gsplat (CUDA) behind HELIOS's rasteriser interface."""

from __future__ import annotations

from typing import Any

import torch

from helios.cameras import Views

_built = False


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
    means: torch.Tensor,
    quats: torch.Tensor,
    scales: torch.Tensor,
    opacities: torch.Tensor,
    colors: torch.Tensor,
    views: Views,
) -> tuple[torch.Tensor, dict[str, Any]]:
    from gsplat import rasterization

    images, _, info = rasterization(
        means, quats, scales, opacities, colors, views.viewmats, views.Ks, views.width, views.height,
        near_plane=0.01, eps2d=0.3, packed=False, rasterize_mode="classic",
    )
    return images, info
