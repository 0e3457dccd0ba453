"""Where the host's time goes in one cell's training loop on the GPU (Python-level profile).

    python benchmarks/profile_cell_host.py      # on a CUDA machine

Trains the synthetic 500-splat cell of ``bench_train.py`` (256 px, 4 views,
1000 iterations, densification off) once to warm up, then again under
cProfile, and prints the functions with the most own time: at this size a step
is bound by the host (launches, autograd, Python), so this is its budget.
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
from pathlib import Path

from bench_train import synthetic_cell

from helios.train import TrainOptions, train_cell


def main() -> None:
    cell = synthetic_cell(500)
    options = TrainOptions(image_size=256, views_per_iter=4, backend="gsplat", densify_until=0, max_splats=500)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        warm = train_cell(cell, out / "a.ply", out / "a.json", options)
        profiler = cProfile.Profile()
        profiler.enable()
        profiled = train_cell(cell, out / "b.ply", out / "b.json", options)
        profiler.disable()
    print(f"unprofiled loop {warm['timings_s']['loop_s']:.2f} s; profiled loop {profiled['timings_s']['loop_s']:.2f} s")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
