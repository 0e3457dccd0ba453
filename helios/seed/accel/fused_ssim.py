"""SSIM (and L1) on CUDA in two kernels (``csrc/fused_ssim.cu``), the same values as ``pytorch_msssim.ssim``.

pytorch_msssim filters five images (x, y, x², y², xy) with ten separable
convolutions and keeps every intermediate for autograd; for the batched
trainer (64 cells x 4 views at 256 px) that costs 24 ms per step on an H100,
more than half of the step.  Here one forward kernel
computes each output tile's moments in shared memory and keeps only the three
derivatives the backward pass needs; one backward kernel filters them back.
The L1 term of the loss is summed and differentiated in the same passes.
Same window, constants and "valid" filtering as pytorch_msssim (a GPU test
compares values and gradients with it); CPU tensors never come here.

The extension is compiled by PyTorch's JIT builder into ``TORCH_EXTENSIONS_DIR``
(next to gsplat's), once per machine: the workflow's ``build_cuda_extensions``
rule builds it before the training fan-out.

:func:`choose_l1_ssim` is what training asks: which implementation of L1 + SSIM
to use for a requested ``ssim`` option on a device, and why.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from helios.seed.training.options import SSIM_CHOICES

WINDOW_SIZE = 11  # the kernels' window (WIN in csrc/fused_ssim.cu); helios.seed.training.objective uses the same
K1, K2 = 0.01, 0.03


@functools.cache
def extension():
    """The compiled kernels: the library the ``build_cuda_extensions`` rule recorded (``helios.seed.accel.cuda_extensions``),
    else built on first use or loaded from the extension cache by PyTorch's JIT builder."""
    from helios.seed.accel.cuda_extensions import FUSED_SSIM_CFLAGS, FUSED_SSIM_SOURCE, loaded

    prebuilt = loaded("fused_ssim")
    if prebuilt is not None:
        return prebuilt
    from torch.utils.cpp_extension import load

    return load(name="helios_fused_ssim", sources=[str(FUSED_SSIM_SOURCE)], extra_cuda_cflags=FUSED_SSIM_CFLAGS, verbose=False)


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


def choose_l1_ssim(requested: str, device: torch.device) -> tuple[str, str, Callable[..., tuple[torch.Tensor, torch.Tensor]] | None]:
    """``(implementation, why, kernels)`` for a requested ``SSIM_CHOICES`` entry on ``device``.

    ``kernels`` is :func:`fused_l1_ssim` when the fused kernels are used, else None (pytorch_msssim).
    """
    from helios.errors import HeliosError

    if requested not in SSIM_CHOICES:
        raise HeliosError(f"unknown ssim {requested!r}; choose one of {', '.join(SSIM_CHOICES)}")
    if requested == "pytorch_msssim":
        return "pytorch_msssim", "asked for pytorch_msssim", None
    if device.type != "cuda":
        if requested == "fused":
            raise HeliosError("ssim fused was asked for but training runs on the CPU; use ssim auto or pytorch_msssim")
        return "pytorch_msssim", "auto: training runs on the CPU", None
    usable, why = fused_ssim_usable()
    if usable:
        return "fused", f"{'auto: ' if requested == 'auto' else ''}fused CUDA kernels {why}", fused_l1_ssim
    if requested == "fused":
        raise HeliosError(f"ssim fused was asked for but {why}; use ssim auto or pytorch_msssim")
    return "pytorch_msssim", f"auto: {why}", None


class _FusedL1SSIM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, images: torch.Tensor, target: torch.Tensor, window: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
        keep = images.requires_grad
        ssim_sums, l1_sums, d_mu, d_xx, d_xy = extension().forward(images, target, list(window), K1**2, K2**2, keep)
        _, h, w, c = images.shape
        ctx.save_for_backward(images, target, d_mu, d_xx, d_xy)
        ctx.window, ctx.count, ctx.pixels = window, c * (h - WINDOW_SIZE + 1) * (w - WINDOW_SIZE + 1), c * h * w
        return l1_sums.sum(dim=1) / ctx.pixels, ssim_sums.sum(dim=1) / ctx.count

    @staticmethod
    def backward(ctx, grad_l1: torch.Tensor | None, grad_ssim: torch.Tensor | None) -> tuple[torch.Tensor | None, None, None]:
        images, target, d_mu, d_xx, d_xy = ctx.saved_tensors

        def per_image(grad: torch.Tensor | None, count: int) -> torch.Tensor:  # zeros made only for an unused output
            return torch.zeros(images.shape[0], device=images.device) if grad is None else (grad / count).float().contiguous()

        scale, l1_scale = per_image(grad_ssim, ctx.count), per_image(grad_l1, ctx.pixels)
        return extension().backward(images, target, d_mu, d_xx, d_xy, scale, l1_scale, list(ctx.window)), None, None


def fused_l1_ssim(images: torch.Tensor, target: torch.Tensor, taps: tuple[float, ...]) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-image ``(L1, SSIM)`` of ``[N, H, W, C]`` CUDA images in [0, 1] against ``target`` (no gradient to the target).

    L1 is ``torch.abs(images - target).mean(dim=(1, 2, 3))``, computed in the same passes.
    ``taps``: the 11 normalised weights of the 1-D Gaussian window (``helios.seed.training.objective.gaussian_window_1d``).
    """
    _check(images, target, taps)
    return _FusedL1SSIM.apply(images.contiguous(), target.contiguous(), tuple(taps))


def fused_ssim(images: torch.Tensor, target: torch.Tensor, taps: tuple[float, ...]) -> torch.Tensor:
    """Per-image SSIM only (see :func:`fused_l1_ssim`)."""
    return fused_l1_ssim(images, target, taps)[1]


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
