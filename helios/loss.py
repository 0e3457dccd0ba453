"""The image loss: L1 and 1 - SSIM of rendered views against their ground truth.

SSIM is ``pytorch_msssim.ssim(..., data_range=1.0)`` with its default 11-tap
Gaussian window (sigma 1.5), made once per device instead of on every call.
On CUDA, ``ssim="auto"`` (the default) computes the same SSIM with HELIOS's
fused kernels (``helios.fused_ssim``, 3-7x faster at training shapes) when
they build (and L1 in the same passes), and falls back to pytorch_msssim when
they do not.
Both terms are returned per image so that a batch of several cells can weigh
each cell separately; a single cell takes their means.

On CUDA the training loss for one fixed batch shape can be replayed as CUDA
graphs (``helios.cuda_graphs``): SSIM's separable convolutions and their
gradients are ~60 small kernels whose launch cost, not their arithmetic,
dominates a training step at 256 px.  On CUDA, SSIM's depthwise convolutions
run PyTorch's own kernels rather than cuDNN's, which were slower for this
shape (BENCHMARKS.md).
"""

from __future__ import annotations

import math

import torch
from pytorch_msssim import ssim

from helios.cuda_graphs import cuda_graphs_enabled, graphed
from helios.errors import HeliosError
from helios.fused_ssim import WINDOW_SIZE, fused_l1_ssim, fused_ssim_usable

WINDOW_SIGMA = 1.5  # WINDOW_SIZE (11 taps) is the one the fused kernels are compiled for
SSIM_CHOICES = ("auto", "fused", "pytorch_msssim")


def gaussian_window_1d() -> torch.Tensor:
    """The 11 float32 weights of the normalised 1-D Gaussian SSIM window."""
    x = torch.arange(WINDOW_SIZE, dtype=torch.float64) - WINDOW_SIZE // 2
    g = torch.exp(-(x**2) / (2 * WINDOW_SIGMA**2))
    return (g / g.sum()).to(torch.float32)


def gaussian_window(channels: int = 3, device: torch.device | str = "cpu") -> torch.Tensor:
    """The window shaped ``[channels, 1, 1, WINDOW_SIZE]`` as pytorch_msssim expects."""
    return gaussian_window_1d().reshape(1, 1, 1, -1).repeat(channels, 1, 1, 1).to(device)


def resolve_ssim(requested: str, device: torch.device) -> tuple[str, str]:
    """``(implementation, why)``: ``fused`` or ``pytorch_msssim`` for a requested ``SSIM_CHOICES`` entry."""
    if requested not in SSIM_CHOICES:
        raise HeliosError(f"unknown ssim {requested!r}; choose one of {', '.join(SSIM_CHOICES)}")
    if requested == "pytorch_msssim":
        return "pytorch_msssim", "asked for pytorch_msssim"
    if device.type != "cuda":
        if requested == "fused":
            raise HeliosError("ssim fused was asked for but training runs on the CPU; use ssim auto or pytorch_msssim")
        return "pytorch_msssim", "auto: training runs on the CPU"
    usable, why = fused_ssim_usable()
    if usable:
        return "fused", f"{'auto: ' if requested == 'auto' else ''}fused CUDA kernels {why}"
    if requested == "fused":
        raise HeliosError(f"ssim fused was asked for but {why}; use ssim auto or pytorch_msssim")
    return "pytorch_msssim", f"auto: {why}"


def nchw(images: torch.Tensor) -> torch.Tensor:
    """``[N, H, W, 3]`` -> NCHW for SSIM's convolutions, in the layout each device does fastest.

    On the CPU the channels-last view (what a permute gives) runs SSIM's
    grouped convolutions 3x faster than contiguous NCHW (25 vs 82 ms for
    4 x 256 px, forward and backward, 2 cores); cuDNN prefers contiguous NCHW.
    """
    out = images.permute(0, 3, 1, 2)
    return out.contiguous() if images.is_cuda else out.contiguous(memory_format=torch.channels_last)


class ImageLoss:
    """Per-image L1 and 1 - SSIM of ``[N, H, W, 3]`` images against targets in [0, 1]."""

    def __init__(self, device: torch.device, graph_shape: tuple[int, ...] | None = None, ssim: str = "auto") -> None:
        self.window = gaussian_window(3, device)
        self.taps = tuple(gaussian_window_1d().tolist())
        self.ssim, self.ssim_why = resolve_ssim(ssim, device)
        self._graphed = None
        self._graph_shape = tuple(graph_shape) if graph_shape is not None else None
        if device.type == "cuda" and graph_shape is not None and cuda_graphs_enabled():
            images = torch.rand(graph_shape, device=device, requires_grad=True)
            target = torch.rand(graph_shape, device=device)
            self._graphed = graphed(self.eager, (images, target))

    def eager(self, images: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.ssim == "fused" and min(images.shape[1:3]) >= WINDOW_SIZE:
            l1, similarity = fused_l1_ssim(images, target, self.taps)
            return l1, 1.0 - similarity
        l1 = torch.abs(images - target).mean(dim=(1, 2, 3))
        with torch.backends.cudnn.flags(enabled=False):
            similarity = ssim(nchw(images), nchw(target), data_range=1.0, size_average=False, win=self.window)
        return l1, 1.0 - similarity

    def __call__(self, images: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if (self._graphed is not None and torch.is_grad_enabled() and images.requires_grad
                and tuple(images.shape) == self._graph_shape):
            return self._graphed(images, target)
        return self.eager(images, target)


def psnr(mse: float) -> float:
    return 10 * math.log10(1.0 / mse) if mse > 0 else float("inf")
