"""Why a cell trains slower in a fresh process than in a warm one: the first call profiled.

    python benchmarks/probe_fresh_job.py      # on a CUDA machine, gsplat backend

Trains the same synthetic cell (500 splats, 256 px, 4 views, 1000 iterations,
densification off) twice in one new process, the first call under cProfile,
and prints both calls' phases and the functions that took the first call's time.
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from bench_train import synthetic_cell
from helios.train import TrainOptions, train_cell


def main() -> None:
    cell = synthetic_cell(500)
    options = TrainOptions(image_size=256, views_per_iter=4, backend="gsplat", densify_until=0, max_splats=500)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        first = train_cell(cell, out / "a.ply", out / "a.json", options)
        profiler.disable()
        first_s = time.perf_counter() - started
        started = time.perf_counter()
        second = train_cell(cell, out / "b.ply", out / "b.json", options)
        second_s = time.perf_counter() - started
    print(f"first call {first_s:.2f} s (profiled), phases {first['timings_s']}")
    print(f"second call {second_s:.2f} s, phases {second['timings_s']}")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
