"""Where the GPU step time goes: the same step with parts removed (a roadmap for faster loops).

    python benchmarks/probe_gpu_loop.py      # on a CUDA machine, gsplat backend

Each variant runs 500 steps at 256 px, 4 views, 500 splats after a warm-up and
prints milliseconds per step.
"""

from __future__ import annotations

import time

import torch
from pytorch_msssim import ssim

from bench_train import synthetic_cell
from helios.cameras import sample_views
from helios.render import rasterize
from helios.splats import init_params, sh0_to_rgb


def main() -> None:
    cell = synthetic_cell(500)
    params = {k: v.cuda().requires_grad_(True) for k, v in init_params(cell.positions, cell.rgb, cell.abs_mag).items()}
    views = sample_views(32, 256, seed=1).to("cuda")
    target = torch.rand(32, 256, 256, 3, device="cuda")
    optimizer = torch.optim.Adam(list(params.values()), lr=1e-3, fused=True)
    picks = torch.randint(0, 32, (600, 4), device="cuda")

    def step(i: int, use_ssim: bool, backward: bool, adam: bool) -> None:
        pick = picks[i]
        images, _ = rasterize("gsplat", params["means"], params["quats"], torch.exp(params["scales"]),
                              torch.sigmoid(params["opacities"]), sh0_to_rgb(params["colors"]), views.subset(pick))
        loss = torch.abs(images - target[pick]).mean()
        if use_ssim:
            loss = loss + 0.2 * (1 - ssim(images.permute(0, 3, 1, 2).contiguous(), target[pick].permute(0, 3, 1, 2).contiguous(), data_range=1.0))
        if backward:
            loss.backward()
        if adam:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

    variants = {
        "render + L1 + SSIM + backward + fused Adam": (True, True, True),
        "without SSIM": (False, True, True),
        "render + L1 + SSIM + backward (no Adam)": (True, True, False),
        "render + L1 forward only": (False, False, False),
    }
    for label, flags in variants.items():
        for i in range(50):
            step(i, *flags)
        torch.cuda.synchronize()
        started = time.perf_counter()
        for i in range(500):
            step(i % 600, *flags)
        torch.cuda.synchronize()
        print(f"{label:45s} {1000 * (time.perf_counter() - started) / 500:.2f} ms/step", flush=True)


if __name__ == "__main__":
    main()
