"""Where a training step's time goes: torch.profiler over HELIOS's loop on one cell.

    python benchmarks/profile_train.py --device cuda --iterations 200
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from torch.profiler import ProfilerActivity, profile

from bench_train import synthetic_cell
from helios.train import TrainOptions, train_cell


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--splats", type=int, default=500)
    args = parser.parse_args()
    backend = "gsplat" if args.device == "cuda" else "torch"
    cell = synthetic_cell(args.splats)
    options = TrainOptions(iterations=args.iterations, image_size=args.size, views_per_iter=args.views, backend=backend,
                           densify_until=0, max_splats=args.splats)
    with tempfile.TemporaryDirectory() as scratch:
        train_cell(cell, Path(scratch) / "w.ply", Path(scratch) / "w.json", options)  # warm-up
        activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device == "cuda" else [])
        with profile(activities=activities) as prof:
            metrics = train_cell(cell, Path(scratch) / "p.ply", Path(scratch) / "p.json", options)
    print(f"{metrics['ms_per_iteration']:.2f} ms/iteration; phases {metrics['timings_s']}")
    sort = "self_cuda_time_total" if args.device == "cuda" else "self_cpu_time_total"
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
    if args.device == "cuda":
        print(prof.key_averages().table(sort_by=sort, row_limit=15))


if __name__ == "__main__":
    main()
