"""The training objective: ``(1 - l) L1 + l (1 - SSIM) + l_iso isotropy + l_col collapse``, and image quality.

SSIM is ``pytorch_msssim.ssim(..., data_range=1.0)`` with its default 11-tap
Gaussian window (sigma 1.5), made once per device instead of on every call;
on a GPU the same SSIM (and L1) may come from HELIOS's fused kernels
(``helios.seed.accel``).  Image terms are per image, regularisers per scene, so
that a batch of cells weighs each cell separately; one cell is a batch of one.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from pytorch_msssim import ssim

from helios.seed.accel import choose_l1_ssim

PARTS = ("loss", "l1", "dssim", "isotropy", "collapse")
WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5


def gaussian_window_1d() -> torch.Tensor:
    """The 11 float32 weights of the normalised 1-D Gaussian SSIM window."""
    x = torch.arange(WINDOW_SIZE, dtype=torch.float64) - WINDOW_SIZE // 2
    g = torch.exp(-(x**2) / (2 * WINDOW_SIGMA**2))
    return (g / g.sum()).to(torch.float32)


def gaussian_window(channels: int = 3, device: torch.device | str = "cpu") -> torch.Tensor:
    """The window shaped ``[channels, 1, 1, WINDOW_SIZE]`` as pytorch_msssim expects."""
    return gaussian_window_1d().reshape(1, 1, 1, -1).repeat(channels, 1, 1, 1).to(device)


def nchw(images: torch.Tensor) -> torch.Tensor:
    """``[N, H, W, 3]`` -> NCHW for SSIM's convolutions, in the layout each device does fastest.

    On the CPU the channels-last view (what a permute gives) runs SSIM's
    grouped convolutions 3x faster than contiguous NCHW (25 vs 82 ms for
    4 x 256 px, forward and backward, 2 cores); cuDNN prefers contiguous NCHW.
    """
    out = images.permute(0, 3, 1, 2)
    return out.contiguous() if images.is_cuda else out.contiguous(memory_format=torch.channels_last)


class ImageLoss:
    """Per-image L1 and 1 - SSIM of ``[N, H, W, 3]`` images against targets in [0, 1].

    ``ssim``: ``auto``, ``fused`` or ``pytorch_msssim`` (the same values; see helios.seed.accel).
    """

    def __init__(self, device: torch.device, ssim: str = "auto") -> None:
        self.window = gaussian_window(3, device)
        self.taps = tuple(gaussian_window_1d().tolist())
        self.ssim, self.ssim_why, self._kernels = choose_l1_ssim(ssim, device)

    def __call__(self, images: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self._kernels is not None and min(images.shape[1:3]) >= WINDOW_SIZE:
            l1, similarity = self._kernels(images, target, self.taps)
            return l1, 1.0 - similarity
        l1 = torch.abs(images - target).mean(dim=(1, 2, 3))
        with torch.backends.cudnn.flags(enabled=False):  # PyTorch's own depthwise kernels were faster here than cuDNN's
            similarity = ssim(nchw(images), nchw(target), data_range=1.0, size_average=False, win=self.window)
        return l1, 1.0 - similarity


def _mean(values: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    if weights is None:
        return values.mean(dim=-1)
    return (values * weights).sum(dim=-1) / weights.sum(dim=-1).clamp(min=1.0)


def regularisers(
    log_scales: torch.Tensor,  # [..., N, 3]
    min_ratio: float,
    weights: torch.Tensor | None = None,  # [..., N]: 1 on a scene's own splats, 0 on padding; None: all count
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per scene ``[...]``: isotropy (variance of log-scales across axes) and anti-collapse (smallest/largest below ``min_ratio``)."""
    isotropy = _mean(log_scales.var(dim=-1, unbiased=False), weights)
    spread = log_scales.min(dim=-1).values - log_scales.max(dim=-1).values  # log(smallest / largest)
    collapse = _mean(torch.relu(math.log(min_ratio) - spread), weights)
    return isotropy, collapse


def weighted_loss(options: Any, l1: torch.Tensor, dssim: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> torch.Tensor:
    """``(1 - l) L1 + l (1 - SSIM) + l_iso isotropy + l_col collapse`` (per scene when the terms are per scene)."""
    o = options
    return (1 - o.lambda_dssim) * l1 + o.lambda_dssim * dssim + o.lambda_isotropy * isotropy + o.lambda_collapse * collapse


def parts(loss: torch.Tensor, l1: torch.Tensor, dssim: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> torch.Tensor:
    """The ``PARTS`` stacked and detached, ``[5, scenes]`` (for the loss curve)."""
    return torch.stack([loss, l1, dssim, isotropy, collapse]).detach().reshape(len(PARTS), -1)


def psnr(mse: float) -> float:
    return 10 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def image_quality(images: torch.Tensor, target: torch.Tensor, image_loss: ImageLoss) -> list[tuple[float, float]]:
    """``(PSNR dB, SSIM)`` per scene of ``[B, V, H, W, 3]`` images (clamped to [0, 1]) against their targets."""
    images = images.clamp(0, 1)
    b, v = images.shape[:2]
    mse = ((images - target) ** 2).mean(dim=(1, 2, 3, 4))
    _, dssim = image_loss(images.reshape(b * v, *images.shape[2:]), target.reshape(b * v, *target.shape[2:]))
    similarity = 1.0 - dssim.view(b, v).mean(dim=1)
    return [(psnr(m), s) for m, s in zip(mse.tolist(), similarity.tolist())]
