"""The landmark universe on GPUs: the whole workflow per mode, side by side, in one call.

    python benchmarks/bench_gpu_scale.py --catalog hipparcos2_full.csv.gz --out scale/

Runs the real workflow (``snakemake --cores N``) from an empty output
directory for each mode given, on the full Hipparcos-2 catalogue (made from
the shared ``hipparcos2.csv.gz`` with ``tools/make_sample.py --max-hp 99``),
the built-in landmarks with ``neighbors: 2``, 1000 iterations at 256 px with
4 views (densification off, so that every mode does the same work), and
prints one table row per mode: wall time of the whole workflow and of its
training phase, cells, per-job start-up (process start to training start,
from the job logs), GPU utilisation (nvidia-smi samples every 0.5 s during
training), CPU busy share (/proc/stat), median loss reduction and held-out PSNR gain.

A mode is ``cell:S`` (one job per cell, S jobs per GPU) or ``batch:K:S[:W]``
(K cells per job, S jobs per GPU, cells within 2^W in star count, default 1), optionally followed by ``@G`` to use the
first G GPUs (default ``--gpus``; the table then counts the jobs each GPU
ran) and by ``~SSIM`` to set ``train.ssim`` (default ``auto``), e.g.
``batch:64:2~pytorch_msssim``.  Batched jobs get the cores between them
(``train_jobs.threads`` = cores / (GPUs x S)) for their ground-truth rendering;
per-cell jobs take one thread each.  gsplat is built once before the first mode
(the cache is shared, so every mode runs warm).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
# The seed trainer (ground_truth starfield): the levels became the default product and train otherwise.
TRAIN = {"ground_truth": "starfield", "iterations": 1000, "image_size": 256, "views_per_iter": 4, "train_views": 32, "eval_views": 4,
         "learning_rate": 0.001, "densify_until": 0, "max_splats": 20000, "backend": "gsplat"}


def cpu_times() -> tuple[int, int]:
    """Busy and total CPU time of the machine so far (jiffies, all cores; /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


class GpuSampler:
    """Utilisation of every GPU (nvidia-smi) and of the CPUs (/proc/stat), sampled in the background."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, list[int]]] = []
        self.cpu_samples: list[tuple[float, tuple[int, int]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.cpu_samples.append((time.time(), cpu_times()))
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True).stdout
            except FileNotFoundError:  # no NVIDIA driver here
                return
            self.samples.append((time.time(), [int(v) for v in out.split()]))
            self._stop.wait(0.5)

    def __enter__(self) -> GpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def mean_between(self, start: float, end: float) -> list[float]:
        rows = [values for t, values in self.samples if start <= t <= end]
        return [statistics.mean(column) for column in zip(*rows)] if rows else []

    def cpu_busy_between(self, start: float, end: float) -> float | None:
        """Share of all cores' time that was busy between two moments (percent)."""
        inside = [times for t, times in self.cpu_samples if start <= t <= end]
        if len(inside) < 2:
            return None
        (busy0, total0), (busy1, total1) = inside[0], inside[-1]
        return 100.0 * (busy1 - busy0) / max(total1 - total0, 1)


def log_times(path: Path) -> tuple[float, float] | None:
    """First and last timestamps (epoch) in a job log written today."""
    stamps = re.findall(r"^(\d\d:\d\d:\d\d) ", path.read_text(), flags=re.MULTILINE)
    if not stamps:
        return None
    day = datetime.fromtimestamp(path.stat().st_mtime).date()
    to_epoch = [datetime.combine(day, datetime.strptime(s, "%H:%M:%S").time()).timestamp() for s in (stamps[0], stamps[-1])]
    return to_epoch[0], to_epoch[1] + 1


def run_mode(mode: str, args: argparse.Namespace, work: Path) -> dict:
    mode_gpus, _, ssim = mode.partition("~")
    spec, _, gpus = mode_gpus.partition("@")
    gpus = int(gpus) if gpus else args.gpus
    kind, *numbers = spec.split(":")
    batch_cells, slots = (1, int(numbers[0])) if kind == "cell" else (int(numbers[0]), int(numbers[1]))
    class_width = int(numbers[2]) if kind == "batch" and len(numbers) > 2 else 2  # the workflow's default
    name = mode.replace(":", "-").replace("@", "-gpus").replace("~", "-")
    out = work / name
    config = {
        "output_dir": str(out / "results"),
        "catalog": {"files": [str(Path(args.catalog).resolve())], "parallax_zero_point_mas": 0.0},
        "grid": dict(args.grid),
        "select": {"mode": "landmarks", "neighbors": args.neighbors},
        "train": {**TRAIN, "iterations": args.iterations, "image_size": args.image_size, "backend": args.backend, "ssim": ssim or "auto"},
        "train_jobs": {"batch_cells": batch_cells, "slots_per_gpu": slots, "batch_class_width": class_width,
                       "threads": max(1, args.cores // (gpus * slots)) if kind == "batch" else 1,
                       "extensions_dir": str(args.extensions_dir), "startup_timing": True},
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(out), "--configfile", str(out / "config.yaml"),
               "--cores", str(args.cores), "--resources", f"gpu={gpus * slots}", "--quiet", "rules"]
    started = time.time()
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ",".join(map(str, range(gpus)))} if args.backend != "torch" else None
    with GpuSampler() as sampler:
        result = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.time() - started
    (out / "snakemake.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise SystemExit(f"{mode}: the workflow failed; see {out / 'snakemake.log'}\n{result.stderr[-3000:]}")
    logs = [p for p in (out / "logs" / "train").glob("*.log") if p.name != "build_cuda_extensions.log"]
    spans = [s for s in map(log_times, logs) if s]
    train_start, train_end = min(s[0] for s in spans), max(s[1] for s in spans)
    startups = [float(m) for p in logs for m in re.findall(r"job start-up: ([\d.]+) s", p.read_text())]
    claimed = [m for p in logs for m in re.findall(r"GPU slot: (cuda:\d+)", p.read_text())]
    index = json.loads((out / "results" / "trained" / "index.json").read_text())
    metrics = [json.loads((out / "results" / "trained" / c["metrics_file"]).read_text()) for c in index["cells"]]
    trained = [m for m in metrics if m["status"] == "ok"]
    row = {
        "mode": mode,
        "cells": len(metrics),
        "jobs": len(logs),
        "workflow_s": wall,
        "training_phase_s": train_end - train_start,
        "job_startup_median_s": statistics.median(startups) if startups else None,
        "gpu_util_mean_pct": sampler.mean_between(train_start, train_end)[:gpus],
        "cpu_busy_pct": sampler.cpu_busy_between(train_start, train_end),
        "jobs_per_gpu": {device: claimed.count(device) for device in sorted(set(claimed))},
        "median_loss_reduction": statistics.median(m["loss_reduction"] for m in trained),
        "min_loss_reduction": min(m["loss_reduction"] for m in trained),
        "median_psnr_gain_db": statistics.median(m["eval"]["psnr_after"] - m["eval"]["psnr_before"] for m in trained),
        "cells_psnr_improved": sum(m["eval"]["psnr_after"] > m["eval"]["psnr_before"] for m in trained),
        "validation_ok": json.loads((out / "results" / "validation.json").read_text())["ok"],
        "device": metrics[0]["device"],
    }
    row["per_cell"] = {m["cell"]: {"loss_reduction": m["loss_reduction"], "psnr_after": m["eval"]["psnr_after"]} for m in trained}
    return row


def build_gsplat(extensions_dir: Path) -> None:
    env = {**os.environ, "TORCH_EXTENSIONS_DIR": str(extensions_dir)}
    started = time.time()
    subprocess.run([sys.executable, "-c", "from helios.seed.render.backend import gsplat_usable; print(gsplat_usable()); "
                    "from helios.seed.accel.fused_ssim import extension; extension()"], check=True, env=env)
    print(f"gsplat and fused SSIM build/load: {time.time() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--out", required=True, help="scratch directory for the runs")
    parser.add_argument("--modes", nargs="+", default=["cell:16", "batch:64:5"])
    parser.add_argument("--gpus", type=int, default=1, help="GPUs to use (the gpu resource is gpus x slots)")
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--neighbors", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--image-size", type=int, default=256)
    parser.add_argument("--backend", default="gsplat", help="torch: a CPU smoke test of this script")
    parser.add_argument("--grid", type=json.loads, default={}, help='grid overrides as JSON, e.g. \'{"n_theta": 12, "n_phi": 6}\'')
    parser.add_argument("--json", help="write all rows here")
    parser.add_argument("--compare-with", help="JSON of an earlier run: compare every mode's cells with its first mode")
    parser.add_argument("--extensions-dir", help="gsplat build cache (default: OUT/torch_extensions)")
    args = parser.parse_args()
    work = Path(args.out).resolve()
    args.extensions_dir = Path(args.extensions_dir or work / "torch_extensions").resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.backend != "torch":
        build_gsplat(args.extensions_dir)
    rows = []
    header = (f"{'mode':>12} {'cells':>5} {'jobs':>5} {'workflow s':>10} {'training s':>10} {'start-up s':>10} {'GPU util %':>12} "
              f"{'CPU busy %':>10} {'loss red.':>9} {'min':>6} {'PSNR +dB':>8}")
    print(header, flush=True)
    for mode in args.modes:
        row = run_mode(mode, args, work)
        rows.append(row)
        if args.json:  # after every mode, so that a cut-off run keeps what it measured
            Path(args.json).write_text(json.dumps(rows, indent=1))
        util = "/".join(f"{u:.0f}" for u in row["gpu_util_mean_pct"])
        startup = f"{row['job_startup_median_s']:.2f}" if row["job_startup_median_s"] is not None else "-"
        cpu = f"{row['cpu_busy_pct']:.0f}" if row["cpu_busy_pct"] is not None else "-"
        print(f"{mode:>12} {row['cells']:>5} {row['jobs']:>5} {row['workflow_s']:>10.1f} {row['training_phase_s']:>10.1f} {startup:>10} "
              f"{util:>12} {cpu:>10} {row['median_loss_reduction']:>9.1%} {row['min_loss_reduction']:>6.1%} {row['median_psnr_gain_db']:>8.2f}"
              f"  jobs per GPU {row['jobs_per_gpu']}", flush=True)
    baseline = json.loads(Path(args.compare_with).read_text()) if args.compare_with else []
    if len(rows) + len(baseline) > 1:
        reference = (baseline or rows)[0]
        first = reference["per_cell"]
        for row in rows if baseline else rows[1:]:
            common = sorted(set(first) & set(row["per_cell"]))
            diffs = [row["per_cell"][c]["loss_reduction"] - first[c]["loss_reduction"] for c in common]
            psnr = [row["per_cell"][c]["psnr_after"] - first[c]["psnr_after"] for c in common]
            print(f"{row['mode']} vs {reference['mode']}{' (earlier run)' if baseline else ''} on {len(common)} cells: "
                  f"loss reduction difference median {statistics.median(diffs):+.4f} (max |d| {max(map(abs, diffs)):.4f}); "
                  f"held-out PSNR difference median {statistics.median(psnr):+.3f} dB (max |d| {max(map(abs, psnr)):.3f})")
    print(f"device: {rows[0]['device']}, {args.gpus} GPU(s), {args.cores} cores")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
