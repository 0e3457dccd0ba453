"""The image loss: L1 and 1 - SSIM of rendered views against their ground truth.

SSIM is ``pytorch_msssim.ssim(..., data_range=1.0)`` with its default 11-tap
Gaussian window (sigma 1.5), made once per device instead of on every call.
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

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5


def gaussian_window(channels: int = 3, device: torch.device | str = "cpu") -> torch.Tensor:
    """The normalised 1-D Gaussian SSIM window, shaped ``[channels, 1, 1, WINDOW_SIZE]`` as pytorch_msssim expects."""
    x = torch.arange(WINDOW_SIZE, dtype=torch.float64) - WINDOW_SIZE // 2
    g = torch.exp(-(x**2) / (2 * WINDOW_SIGMA**2))
    g = (g / g.sum()).to(torch.float32)
    return g.reshape(1, 1, 1, -1).repeat(channels, 1, 1, 1).to(device)


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

    def __init__(self, device: torch.device, graph_shape: tuple[int, ...] | None = None) -> None:
        self.window = gaussian_window(3, device)
        self._graphed = None
        self._graph_shape = tuple(graph_shape) if graph_shape is not None else None
        if device.type == "cuda" and graph_shape is not None and cuda_graphs_enabled():
            images = torch.rand(graph_shape, device=device, requires_grad=True)
            target = torch.rand(graph_shape, device=device)
            self._graphed = graphed(self.eager, (images, target))

    def eager(self, images: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
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
