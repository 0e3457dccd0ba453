"""Training benchmark: one cell, HELIOS's loop against a plain loop, CPU or GPU.

    python benchmarks/bench_train.py --device cpu  --repeats 3
    python benchmarks/bench_train.py --device cuda --repeats 3 --job-overhead

Settings measured (a synthetic cell of 300 or 500 stars, and beside it the
real cell of the embedded Hipparcos sample whose star count is nearest;
densification off and the splat count fixed so that every run does the same
work):

* CPU: 1000 iterations at 128 px, 2 views, 300 splats; and 256 px, 4 views, 500 splats.
* GPU: 1000 iterations at 256 px, 4 views, 500 splats, with the gsplat backend.

``helios`` is :func:`helios.seed.training.train_cell` (ground truth rendered once into
a pool of views, losses read back every ``curve_every`` steps, fused Adam on
CUDA); its loop time is reported (``iterations x ms_per_iteration``) next to
its whole call.  ``plain`` is the straightforward loop: ground truth rendered
every step for the chosen views, one Adam per tensor, the loss read back every
step.  With ``--job-overhead`` it also times ``helios train-cell`` as a fresh
process (start, imports, CUDA initialisation, gsplat load from a warm cache,
training, PLY written).  ``--ssim auto pytorch_msssim`` times HELIOS's loop
with each SSIM implementation, alternating, side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def synthetic_cell(n: int, seed: int = 0):
    from helios.cell import CellStars

    rng = np.random.default_rng(seed)
    positions = np.clip(rng.normal(size=(n, 3)) * 0.4, -0.9, 0.9)
    return CellStars("5_1_1", positions, rng.uniform(0.3, 1.0, (n, 3)), rng.normal(3.0, 2.0, n), np.zeros(3), 10.0, 0)


def real_cells(counts: list[int], scratch: Path) -> dict[int, object]:
    """The embedded sample's cells (default grid) whose star counts are nearest to ``counts``, loaded for training."""
    from helios.build import build
    from helios.cell import load_cell
    from helios.ingest import IngestOptions

    repo = Path(__file__).resolve().parents[1]
    index = build([{"kind": "file", "path": str(repo / "data" / "hipparcos2_hp7.csv.gz")}], scratch / "universe",
                  IngestOptions(parallax_zero_point_mas=0.0))
    chosen = {}
    for n in counts:
        entry = min(index["cells"], key=lambda c: (abs(c["star_count"] - n), c["id"]))
        chosen[n] = load_cell(scratch / "universe" / entry["file"])
    return chosen


def helios_run(cell, size: int, views: int, backend: str, out: Path, ssim: str = "auto") -> tuple[float, float]:
    from helios.seed.training import TrainOptions, train_cell

    options = TrainOptions(iterations=1000, image_size=size, views_per_iter=views, backend=backend, densify_until=0, max_splats=len(cell.positions),
                           ssim=ssim)
    started = time.perf_counter()
    metrics = train_cell(cell, out / "c.ply", out / "c.json", options)
    return time.perf_counter() - started, metrics["ms_per_iteration"] * metrics["iterations_run"] / 1000


def plain_run(cell, size: int, views: int, backend: str, device: torch.device) -> float:
    """The naive loop: re-render ground truth each step, separate Adams, sync every step."""
    from pytorch_msssim import ssim

    from helios.cameras import sample_views
    from helios.seed.render import rasterize
    from helios.seed.render.reference import render_starfield, starfield_exposure
    from helios.seed.splats import init_params, sh0_to_rgb

    params = {k: v.to(device).requires_grad_(True) for k, v in init_params(cell.positions, cell.rgb, cell.abs_mag).items()}
    optimizers = [torch.optim.Adam([p], lr=1e-3) for p in params.values()]
    pool = sample_views(32, size, seed=1)
    exposure = starfield_exposure(cell.positions, cell.luminosity, pool)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for _ in range(1000):
        pick = torch.tensor(rng.choice(32, views, replace=False))
        chosen = pool.subset(pick)
        target = render_starfield(cell.positions, cell.rgb, cell.luminosity, chosen, exposure).to(device, torch.float32)
        images, _ = rasterize(backend, params["means"], params["quats"], torch.exp(params["scales"]), torch.sigmoid(params["opacities"]),
                              sh0_to_rgb(params["colors"]), chosen.to(device))
        loss = 0.8 * torch.abs(images - target).mean() + 0.2 * (1 - ssim(images.permute(0, 3, 1, 2), target.permute(0, 3, 1, 2), data_range=1.0))
        for optimizer in optimizers:
            optimizer.zero_grad()
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()
        loss.item()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - started


def job_run(cell_file: Path, out: Path, size: int, views: int, backend: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "helios.cli", "-q", "train-cell", "--cell", str(cell_file), "--output", str(out / "job.ply"),
         "--image-size", str(size), "--views-per-iter", str(views), "--backend", backend, "--densify-until", "0"],
        check=True,
    )
    return time.perf_counter() - started


OVERHEAD_STEPS = {
    "python start": "pass",
    "+ import torch": "import torch",
    "+ CUDA init": "import torch; torch.zeros(1, device='cuda'); torch.cuda.synchronize()",
    "+ helios imports": "import torch; torch.zeros(1, device='cuda'); import helios.cli, helios.seed.training",
    "+ gsplat load (warm cache)": "import torch; torch.zeros(1, device='cuda'); import helios.cli, helios.seed.training; "
    "from helios.seed.render.backend import gsplat_usable; gsplat_usable()",
    "+ fused SSIM load (warm cache)": "import torch; torch.zeros(1, device='cuda'); import helios.cli, helios.seed.training; "
    "from helios.seed.render.backend import gsplat_usable; gsplat_usable(); from helios.seed.accel.fused_ssim import extension; extension()",
}


def overhead_breakdown(repeats: int) -> dict[str, float]:
    """Median wall time of fresh processes doing successively more of a job's start."""
    out = {}
    for label, code in OVERHEAD_STEPS.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], check=True)
            times.append(time.perf_counter() - started)
        out[label] = statistics.median(times)
        print(f"  {label:28s} {out[label]:.2f} s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--plain-repeats", type=int, help="runs of the plain loop (default: --repeats)")
    parser.add_argument("--job-overhead", action="store_true")
    parser.add_argument("--json", help="also write the medians here")
    parser.add_argument("--ssim", nargs="+", default=["auto"], choices=("auto", "fused", "pytorch_msssim"),
                        help="SSIM implementation(s) for HELIOS's loop; several: alternated, the first is the headline")
    args = parser.parse_args()
    device = torch.device(args.device)
    backend = "gsplat" if args.device == "cuda" else "torch"
    name = torch.cuda.get_device_name(0) if args.device == "cuda" else f"{platform.machine()} CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; torch {torch.__version__}; backend {backend}")
    settings = [(256, 4, 500)] if args.device == "cuda" else [(128, 2, 300), (256, 4, 500)]
    results = {}
    plain_repeats = args.repeats if args.plain_repeats is None else args.plain_repeats
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        if args.device == "cuda":  # warm up: gsplat build/load, CUDA context
            helios_run(synthetic_cell(50), 64, 1, backend, out)
        real = real_cells(sorted({n for _, _, n in settings}), out)
        for size, views, n in settings:
            # The real cell beside the synthetic one: a change that slows real cells shows.
            times = []
            for _ in range(args.repeats):
                call, loop = helios_run(real[n], size, views, backend, out, args.ssim[0])
                times.append(loop)
            med = statistics.median(times)
            results[f"{size}px_{views}views_real_{real[n].cell_id}_{len(real[n].positions)}stars"] = {"helios_loop_s": med}
            print(f"median {size}px {views} views, real cell {real[n].cell_id} ({len(real[n].positions)} stars): helios loop {med:.2f} s "
                  f"({med:.2f} ms/it); runs {[round(x, 2) for x in times]}", flush=True)
            cell = synthetic_cell(n)
            runs = {"helios_call_s": [], "helios_loop_s": [], "plain_loop_s": []} | {f"helios_loop_s_ssim_{m}": [] for m in args.ssim[1:]}
            for repeat in range(args.repeats):
                call, loop = helios_run(cell, size, views, backend, out, args.ssim[0])
                others = {m: helios_run(cell, size, views, backend, out, m)[1] for m in args.ssim[1:]}
                plain = plain_run(cell, size, views, backend, device) if repeat < plain_repeats else float("nan")
                runs["helios_call_s"].append(call)
                runs["helios_loop_s"].append(loop)
                for m, seconds in others.items():
                    runs[f"helios_loop_s_ssim_{m}"].append(seconds)
                if repeat < plain_repeats:
                    runs["plain_loop_s"].append(plain)
                other_text = "".join(f", loop with ssim {m} {seconds:.2f} s" for m, seconds in others.items())
                print(f"  {size}px {views} views {n} splats, run {repeat + 1}: helios loop {loop:.2f} s (call {call:.2f} s){other_text}, "
                      f"plain loop {plain:.2f} s", flush=True)
            med = {k: statistics.median(v) if v else float("nan") for k, v in runs.items()}
            med["speedup_vs_plain"] = med["plain_loop_s"] / med["helios_loop_s"]
            results[f"{size}px_{views}views_{n}splats"] = med
            other_text = "".join(f"; with ssim {m} {med[f'helios_loop_s_ssim_{m}']:.2f} s" for m in args.ssim[1:])
            print(f"median {size}px {views} views {n} splats: helios loop (ssim {args.ssim[0]}) {med['helios_loop_s']:.2f} s "
                  f"({1000 * med['helios_loop_s'] / 1000:.2f} ms/it), call {med['helios_call_s']:.2f} s{other_text}; "
                  f"plain {med['plain_loop_s']:.2f} s; {med['speedup_vs_plain']:.1f}x")
        if args.job_overhead:
            import pyarrow as pa
            import pyarrow.parquet as pq

            cell = synthetic_cell(500)
            cell_file = out / "cells" / "5_1_1.parquet"
            cell_file.parent.mkdir()
            xyz = cell.positions * cell.scale_pc
            pq.write_table(pa.table({"x_pc": xyz[:, 0], "y_pc": xyz[:, 1], "z_pc": xyz[:, 2], "abs_mag_g": cell.abs_mag,
                                     "red": cell.rgb[:, 0], "green": cell.rgb[:, 1], "blue": cell.rgb[:, 2]}), cell_file)
            size, views = settings[-1][:2]
            jobs = [job_run(cell_file, out, size, views, backend) for _ in range(args.repeats)]
            metrics = json.loads((out / "job.json").read_text())
            loop = metrics["ms_per_iteration"] * metrics["iterations_run"] / 1000
            results["job"] = {"job_s": statistics.median(jobs), "loop_s": loop, "train_cell_s": metrics["wall_time_s"],
                              "timings_s": metrics.get("timings_s")}
            print(f"whole job (process start to PLY): median {statistics.median(jobs):.2f} s, of which train_cell {metrics['wall_time_s']:.2f} s "
                  f"(loop {loop:.2f} s; phases {metrics.get('timings_s')}); runs {[round(j, 2) for j in jobs]}")
            if args.device == "cuda":
                print("process start-up, cumulative:")
                results["startup_s"] = overhead_breakdown(args.repeats)
    if args.json:
        Path(args.json).write_text(json.dumps({"device": name, "results": results}, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
