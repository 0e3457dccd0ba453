"""L1 + SSIM forward and backward with cuDNN's depthwise convolutions and with PyTorch's own.

    python benchmarks/probe_ssim_cudnn.py      # on a CUDA machine

HELIOS's loss runs SSIM with cuDNN disabled (faster for one cell's 4 images
at 256 px); this checks the choice at the batch sizes of batched training
(4 views x K cells).  Prints milliseconds per call, median of 5 x 20 calls.
"""

from __future__ import annotations

import torch
from cuda_timing import median_ms
from pytorch_msssim import ssim

from helios.loss import gaussian_window, nchw


def timed(images: torch.Tensor, target: torch.Tensor, window: torch.Tensor, cudnn: bool) -> float:
    def once() -> None:
        with torch.backends.cudnn.flags(enabled=cudnn):
            l1 = torch.abs(images - target).mean()
            loss = l1 + 1 - ssim(nchw(images), nchw(target), data_range=1.0, win=window)
        loss.backward()

    return median_ms(once)


def main() -> None:
    print(f"{torch.cuda.get_device_name(0)}; torch {torch.__version__}; cuDNN {torch.backends.cudnn.version()}")
    window = gaussian_window(3, "cuda")
    for n in (4, 16, 76, 256):
        images = torch.rand(n, 256, 256, 3, device="cuda", requires_grad=True)
        target = torch.rand(n, 256, 256, 3, device="cuda")
        with_cudnn, without = timed(images, target, window, True), timed(images, target, window, False)
        print(f"{n:4d} images of 256 px: cuDNN {with_cudnn:7.2f} ms, PyTorch's kernels {without:7.2f} ms ({with_cudnn / without:.2f}x)", flush=True)


if __name__ == "__main__":
    main()
