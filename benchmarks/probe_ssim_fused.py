"""The image loss (L1 + SSIM, forward and backward) with pytorch_msssim and with HELIOS's fused kernels.

    python benchmarks/probe_ssim_fused.py      # on a CUDA machine

Side by side in one process, at the batch sizes of per-cell (4 images) and
batched training (4 views x K cells), 256 px: milliseconds per call, median
of 5 x 20 calls, eager (as in the best-parameter checks) and, for 4 images,
no-grad as in the evaluation.  Also the largest differences of the two SSIMs.
"""

from __future__ import annotations

import torch
from cuda_timing import median_ms

from helios.loss import ImageLoss


def timed(loss: ImageLoss, images: torch.Tensor, target: torch.Tensor, grad: bool = True) -> float:
    def once() -> None:
        with torch.set_grad_enabled(grad):
            l1, dssim = loss.eager(images, target)
            total = (0.8 * l1 + 0.2 * dssim).mean()
        if grad:
            total.backward()

    return median_ms(once)


def main() -> None:
    device = torch.device("cuda")
    print(f"{torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    reference, fused = ImageLoss(device, ssim="pytorch_msssim"), ImageLoss(device, ssim="fused")
    assert fused.ssim == "fused", fused.ssim_why
    for n in (4, 16, 76, 256):
        target = torch.rand(n, 256, 256, 3, device=device)
        images = (target + 0.1 * torch.randn_like(target)).clamp(0, 1).requires_grad_(True)
        slow, fast = timed(reference, images, target), timed(fused, images, target)
        print(f"{n:4d} images of 256 px, forward + backward: pytorch_msssim {slow:7.2f} ms, fused {fast:6.2f} ms ({slow / fast:.1f}x)", flush=True)
        if n in (4, 256):
            slow, fast = timed(reference, images, target, grad=False), timed(fused, images, target, grad=False)
            print(f"{n:4d} images of 256 px, no gradient:      pytorch_msssim {slow:7.2f} ms, fused {fast:6.2f} ms ({slow / fast:.1f}x)", flush=True)
        a, b = images.detach().clone().requires_grad_(True), images.detach().clone().requires_grad_(True)
        sa, sb = reference.eager(a, target)[1], fused.eager(b, target)[1]
        sa.sum().backward()
        sb.sum().backward()
        print(f"      max |SSIM difference| {(sa - sb).abs().max().item():.2e}, "
              f"max |gradient difference| / max |gradient| {((a.grad - b.grad).abs().max() / a.grad.abs().max()).item():.2e}")


if __name__ == "__main__":
    main()
