"""What a fresh training process pays before its loop runs fast: one line per first use.

    python benchmarks/probe_first_use.py     # on a CUDA machine, warm gsplat cache

Times, in order and in one new process: importing torch, CUDA initialisation,
HELIOS's imports, loading gsplat's extension, then the first call of each piece
of a training step (render, backward, SSIM, the CUDA-graph capture of the
loss, HELIOS's fused Adam) against its second call, and last the first
``torch.optim`` optimizer (which imports ``torch._dynamo``; HELIOS builds none).
"""

import time

started = time.perf_counter()
marks = []


def mark(label: str, sync: bool = True) -> None:
    global started
    if sync and "torch" in globals():
        torch.cuda.synchronize()
    now = time.perf_counter()
    marks.append((label, now - started))
    started = now


import torch

mark("import torch", sync=False)
torch.zeros(1, device="cuda")
mark("CUDA initialisation")
from bench_train import synthetic_cell

from helios.adam import FusedAdam
from helios.cameras import sample_views
from helios.loss import ImageLoss
from helios.render import rasterize
from helios.render.gsplat_backend import ensure_built
from helios.splats import init_params, sh0_to_rgb

mark("helios imports (gsplat, pytorch_msssim, scipy, ...)")
ensure_built()
mark("gsplat extension load (warm cache)")
cell = synthetic_cell(500)
params = {k: v.cuda().requires_grad_(True) for k, v in init_params(cell.positions, cell.rgb, cell.abs_mag).items()}
views = sample_views(4, 256, seed=1).to("cuda")
target = torch.rand(4, 256, 256, 3, device="cuda")
optimizer = FusedAdam([{"params": list(params.values()), "lr": 1e-3, "name": "all"}])
mark("set-up (splats, views, HELIOS's FusedAdam)")
for attempt in ("first", "second"):
    images, _ = rasterize("gsplat", params["means"], params["quats"], torch.exp(params["scales"]), torch.sigmoid(params["opacities"]),
                          sh0_to_rgb(params["colors"]), views)
    mark(f"{attempt} render")
    images.sum().backward(retain_graph=True)
    mark(f"{attempt} render backward")
    loss = ImageLoss(torch.device("cuda"))
    l1, dssim = loss.eager(images, target)
    mark(f"{attempt} L1 + SSIM forward (eager)")
    (l1.sum() + dssim.sum()).backward()
    mark(f"{attempt} L1 + SSIM backward (eager)")
    ImageLoss(torch.device("cuda"), graph_shape=(4, 256, 256, 3))
    mark(f"{attempt} CUDA-graph capture of the loss")
    optimizer.step()
    optimizer.zero_grad()
    mark(f"{attempt} fused Adam step")
torch.optim.Adam([torch.zeros(1, device="cuda", requires_grad=True)], fused=True)
mark("for comparison: first torch.optim.Adam (imports torch._dynamo)")
for label, seconds in marks:
    print(f"{label:52s} {seconds:7.3f} s")
