"""One interface over the differentiable renderers, and ``auto`` backend choice."""

from __future__ import annotations

import logging
from typing import Any

import torch

from helios.cameras import Views
from helios.errors import HeliosError

BACKENDS = ("auto", "gsplat", "torch")
log = logging.getLogger(__name__)


def gsplat_usable() -> tuple[bool, str]:
    """Whether gsplat can rasterise here (CUDA present and its extension builds)."""
    if not torch.cuda.is_available():
        return False, "CUDA is not available"
    try:
        _gsplat_module().ensure_built()
    except Exception as exc:  # any build or import failure means: fall back
        return False, f"gsplat does not work here ({type(exc).__name__}: {exc})"
    return True, "CUDA and a working gsplat build"


def _gsplat_module() -> Any:
    """gsplat's kernels called directly (``helios.seed.accel.gsplat_direct``) for the pinned version, else ``gsplat.rasterization``."""
    from helios.seed.accel import gsplat_direct

    if gsplat_direct.applies():
        return gsplat_direct
    from helios.seed.render import gsplat_backend

    return gsplat_backend


def _gsplat_rasterizer() -> Any:
    module = _gsplat_module()
    return getattr(module, "rasterize_gsplat_direct", None) or module.rasterize_gsplat


def resolve_backend(requested: str, cuda: bool | None = None) -> tuple[str, torch.device, str]:
    """``(backend, device, why)`` for a requested backend name.

    ``cuda``: None, use CUDA where it is available (the command line); False, never use it (a workflow job
    given no GPU); True, use it (a job given a GPU: without CUDA that is an error).
    """
    if requested not in BACKENDS:
        raise HeliosError(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}")
    if cuda is False:
        if requested == "gsplat":
            raise HeliosError("backend gsplat needs a GPU, but this job was given none (train_jobs.gpus 0)")
        why = f"{'auto' if requested == 'auto' else 'asked for torch'}: this job trains on the CPU (given no GPU, or falling back)"
        return "torch", torch.device("cpu"), why
    if cuda is True and not torch.cuda.is_available():
        raise HeliosError("this job was given a GPU but CUDA is not available to it")
    if requested == "torch":
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return "torch", device, "asked for torch"
    usable, why = gsplat_usable()
    if requested == "gsplat":
        if not usable:
            raise HeliosError(f"backend gsplat was asked for but {why}; use --backend torch or auto")
        return "gsplat", torch.device("cuda"), why
    if usable:
        return "gsplat", torch.device("cuda"), f"auto: {why}"
    if cuda is True:  # a job given a GPU keeps using it
        return "torch", torch.device("cuda"), f"auto: {why}, using the torch rasteriser on the GPU"
    return "torch", torch.device("cpu"), f"auto: {why}, using the torch rasteriser"


def rasterize(
    backend: str,
    means: torch.Tensor,  # [N, 3]
    quats: torch.Tensor,  # [N, 4] wxyz, normalised inside
    scales: torch.Tensor,  # [N, 3] activated
    opacities: torch.Tensor,  # [N] activated
    colors: torch.Tensor,  # [N, 3] activated
    views: Views,
    with_info: bool = True,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """Render ``[C, H, W, 3]`` on a black background; ``info`` feeds gsplat's strategies.

    ``with_info=False``: no densification step will read ``info`` (gsplat then
    renders through one autograd node and may leave ``info`` empty).
    """
    if backend == "gsplat":
        return _gsplat_rasterizer()(means, quats, scales, opacities, colors, views, with_info)
    from helios.seed.render.torch_raster import rasterize_torch

    return rasterize_torch(means, quats, scales, opacities, colors, views)


def rasterize_batch(
    backend: str,
    means: torch.Tensor,  # [B, N, 3]
    quats: torch.Tensor,  # [B, N, 4]
    scales: torch.Tensor,  # [B, N, 3] activated
    opacities: torch.Tensor,  # [B, N] activated, 0 on padding
    colors: torch.Tensor,  # [B, N, 3] activated
    viewmats: torch.Tensor,  # [B, C, 4, 4]
    Ks: torch.Tensor,  # [B, C, 3, 3]
    size: int,
    counts: list[int],
) -> torch.Tensor:
    """Render ``[B, C, H, W, 3]``: each of B scenes through its own C cameras.

    Scene ``b`` is its first ``counts[b]`` Gaussians; the rest is padding with
    zero opacity.  gsplat renders all scenes in one call through its batch
    dimensions (padding is culled in its projection); the torch rasteriser
    renders each scene's own Gaussians in turn.
    """
    if backend == "gsplat":
        return _gsplat_rasterizer()(means, quats, scales, opacities, colors, Views(viewmats, Ks, size, size), False)[0]
    from helios.seed.render.torch_raster import rasterize_torch

    return torch.stack([
        rasterize_torch(means[b, :n], quats[b, :n], scales[b, :n], opacities[b, :n], colors[b, :n], Views(viewmats[b], Ks[b], size, size))[0]
        for b, n in enumerate(counts)
    ])
