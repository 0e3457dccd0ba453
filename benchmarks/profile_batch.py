"""Where a batched training job's GPU time goes: the real loop under the PyTorch profiler.

    python benchmarks/profile_batch.py --run DIR/results --batch s12-000 --iterations 100

Takes one batch of a finished workflow run (its ``selection.json`` and
``universe/``, batched as ``train_jobs.batch_cells`` would), trains it with
``helios.seed.training.train_batch`` for ``--iterations`` steps (the best-parameter check every
``select_every`` steps as in a real run) under ``torch.profiler``, and prints
the GPU kernels that took the most time, grouped into families (rasterisation,
SSIM, L1 and the rest of the objective, Adam, copies), with the share of each.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from helios.batching import plan_batches
from helios.cell import load_cell
from helios.seed.training import TrainOptions, train_batch

FAMILIES = [
    ("rasterise forward", r"rasterize_to_pixels.*fwd|RasterizeToPixels.*Fwd|rasterize_to_pixels_3dgs_fwd"),
    ("rasterise backward", r"rasterize_to_pixels.*bwd|RasterizeToPixels.*Bwd|rasterize_to_pixels_3dgs_bwd"),
    ("projection", r"projection|Projection"),
    ("tile intersection + sort", r"isect|intersect|radix|Radix|DeviceScan|cub::|offset_encode"),
    ("SSIM (fused)", r"ssim_"),
    ("Adam", r"adam|Adam"),
    ("copies / fills", r"copy|Memcpy|Memset|fill"),
    ("reductions", r"reduce|Reduce"),
    ("elementwise", r"elementwise|vectorized|unrolled"),
]


def family(name: str) -> str:
    for label, pattern in FAMILIES:
        if re.search(pattern, name):
            return label
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a workflow's results directory")
    parser.add_argument("--batch", help="batch name (default: the one with the most cells x splats)")
    parser.add_argument("--batch-cells", type=int, default=64)
    parser.add_argument("--iterations", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    run = Path(args.run)
    selection = json.loads((run / "selection.json").read_text())["cells"]
    counts = {c["id"]: int(c["star_count"]) for c in selection}
    plan = plan_batches(selection, args.batch_cells)
    name = args.batch or max(plan, key=lambda b: len(plan[b]) * max(counts[c] for c in plan[b]))
    cells = [load_cell(run / "universe" / "cells" / f"{c}.parquet") for c in plan[name]]
    print(f"batch {name}: {len(cells)} cells, stars {min(len(c.positions) for c in cells)}..{max(len(c.positions) for c in cells)}")
    options = TrainOptions(iterations=args.iterations, image_size=256, views_per_iter=4, densify_until=0, backend="gsplat", max_splats=20000)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        outputs = [(out / f"{c.cell_id}.ply", out / f"{c.cell_id}.json") for c in cells]
        train_batch(cells, outputs, options)  # warm-up: graphs, caches
        torch.cuda.synchronize()
        started = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
            results = train_batch(cells, outputs, options)
            torch.cuda.synchronize()
        wall = time.perf_counter() - started
    timings = results[0]["batched"]["timings_s"]
    print(f"profiled run {wall:.2f} s (profiler on); phases {json.dumps({k: round(v, 3) for k, v in timings.items()})}")
    kernels = [e for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA or getattr(e, "self_device_time_total", 0) > 0]
    rows = [(e.key, e.self_device_time_total / 1000, e.count) for e in kernels if e.self_device_time_total > 0]
    total = sum(ms for _, ms, _ in rows)
    grouped: dict[str, float] = defaultdict(float)
    for key, ms, _ in rows:
        grouped[family(key)] += ms
    steps = args.iterations
    print(f"GPU kernel time {total:.1f} ms in total, {total / steps:.3f} ms per step, {total / steps / len(cells):.4f} ms per cell-iteration")
    for label, ms in sorted(grouped.items(), key=lambda kv: -kv[1]):
        print(f"  {label:28s} {ms:9.1f} ms  {ms / total:6.1%}  {ms / steps:7.3f} ms/step")
    print(f"top {args.top} kernels:")
    for key, ms, count in sorted(rows, key=lambda r: -r[1])[: args.top]:
        print(f"  {ms:9.1f} ms {count:7d}x  {family(key):24s} {key[:110]}")


if __name__ == "__main__":
    main()
