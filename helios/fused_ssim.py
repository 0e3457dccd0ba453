"""SSIM on CUDA in two kernels (``csrc/fused_ssim.cu``), the same values as ``pytorch_msssim.ssim``.

pytorch_msssim filters five images (x, y, x², y², xy) with ten separable
convolutions and keeps every intermediate for autograd; for the batched
trainer (64 cells x 4 views at 256 px) that costs 24 ms per step on an H100,
more than half of the step.  Here one forward kernel
computes each output tile's moments in shared memory and keeps only the three
derivatives the backward pass needs; one backward kernel filters them back.
Same window, constants and "valid" filtering as pytorch_msssim (a GPU test
compares values and gradients with it); CPU tensors never come here.

The extension is compiled by PyTorch's JIT builder into ``TORCH_EXTENSIONS_DIR``
(next to gsplat's), once per machine: the workflow's preparation rule builds it
before the training fan-out.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

WINDOW_SIZE = 11  # the kernels' window (WIN in csrc/fused_ssim.cu); helios.loss uses the same
K1, K2 = 0.01, 0.03
SOURCE = Path(__file__).with_name("csrc") / "fused_ssim.cu"


@functools.cache
def extension():
    """The compiled kernels (built on first use, then loaded from the extension cache)."""
    from torch.utils.cpp_extension import load

    return load(name="helios_fused_ssim", sources=[str(SOURCE)], extra_cuda_cflags=["-O3"], verbose=False)


@functools.cache
def fused_ssim_usable() -> tuple[bool, str]:
    """Whether the kernels build and run here (CUDA present, a compiler for the first build)."""
    if not torch.cuda.is_available():
        return False, "CUDA is not available"
    try:
        extension()
    except Exception as exc:  # a failed build means: use pytorch_msssim
        return False, f"the fused SSIM kernels do not build here ({type(exc).__name__}: {exc})"
    return True, "built"


class _FusedSSIM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, images: torch.Tensor, target: torch.Tensor, window: tuple[float, ...]) -> torch.Tensor:
        keep = images.requires_grad
        block_sums, d_mu, d_xx, d_xy = extension().forward(images, target, list(window), K1**2, K2**2, keep)
        _, h, w, c = images.shape
        count = c * (h - WINDOW_SIZE + 1) * (w - WINDOW_SIZE + 1)
        ctx.save_for_backward(images, target, d_mu, d_xx, d_xy)
        ctx.window, ctx.count = window, count
        return block_sums.sum(dim=1) / count

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor | None, None, None]:
        images, target, d_mu, d_xx, d_xy = ctx.saved_tensors
        scale = (grad / ctx.count).float().contiguous()
        return extension().backward(images, target, d_mu, d_xx, d_xy, scale, list(ctx.window)), None, None


def fused_ssim(images: torch.Tensor, target: torch.Tensor, taps: tuple[float, ...]) -> torch.Tensor:
    """Per-image SSIM of ``[N, H, W, C]`` CUDA images in [0, 1] against ``target`` (no gradient to the target).

    ``taps``: the 11 normalised weights of the 1-D Gaussian window (``helios.loss.gaussian_window_1d``).
    """
    _check(images, target, taps)
    return _FusedSSIM.apply(images.contiguous(), target.contiguous(), tuple(taps))


def _check(images: torch.Tensor, target: torch.Tensor, taps: tuple[float, ...]) -> None:
    """Refuse what the kernels cannot take, here rather than in C++ (whose errors are less clear)."""
    if target.requires_grad:
        raise ValueError("fused_ssim gives no gradient to the target; detach it")
    if len(taps) != WINDOW_SIZE:
        raise ValueError(f"the SSIM window needs {WINDOW_SIZE} taps, got {len(taps)}")
    for name, t in (("images", images), ("target", target)):
        if not t.is_cuda or t.dtype != torch.float32 or t.dim() != 4:
            raise ValueError(f"fused_ssim takes float32 CUDA tensors [N, H, W, C]; {name} is {t.dtype} {tuple(t.shape)} on {t.device}")
    if images.shape != target.shape:
        raise ValueError(f"images {tuple(images.shape)} and target {tuple(target.shape)} must have the same shape")
    _, height, width, channels = images.shape
    if min(height, width) < WINDOW_SIZE or not 1 <= channels <= 4:
        raise ValueError(f"fused_ssim needs images of at least {WINDOW_SIZE} x {WINDOW_SIZE} pixels and 1 to 4 channels, got {tuple(images.shape)}")
