"""Trained levels against the clustered (untrained) Gaussians, cell by cell, on held-out views.

    python benchmarks/bench_level_training.py --universe DIR [--cells 8] [--fractions 0.03 0.1]
        [--iterations 200] [--image-size 96] [--learning-rates 0.01 0.001] [--device cpu|cuda] --json FILE

Takes the ``--cells`` most populous cells of a universe; for each level fraction it clusters the
stars not kept as points (``helios.lod.cluster``), trains those Gaussians (``helios.lod.train``)
and prints the held-out loss (L1 of asinh-compressed linear flux, views 2-6 bounding radii out) of
both, the relative improvement, the step kept (0: training added nothing) and the time; with
several ``--learning-rates`` each level is trained once per rate from the same clustered start.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from helios import photometry
from helios.lod.cluster import cluster_gaussians
from helios.lod.ladder import level
from helios.lod.options import LevelOptions
from helios.lod.train import train_level
from helios.universe import Universe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", required=True)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.03, 0.1], help="increasing")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--learning-rates", nargs="+", type=float, default=[LevelOptions().learning_rate])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--json")
    args = parser.parse_args()
    universe = Universe(args.universe)
    options = LevelOptions(fractions=tuple(args.fractions), iterations=args.iterations, image_size=args.image_size)
    rows = []
    print(f"{'cell':>8s} {'stars':>7s} {'f':>5s} {'gauss':>6s} {'lr':>7s} | {'clustered':>9s} {'trained':>8s} {'better':>7s} {'step':>5s} {'s':>6s}",
          flush=True)
    for entry in sorted(universe.cells, key=lambda e: (-e["star_count"], e["id"]))[:args.cells]:
        cell = universe.read(entry)
        for fraction in options.fractions:
            chosen = level(len(cell.abs_mag), fraction, options.point_share)
            rest = slice(chosen.n_points, None)
            centre, radius = np.asarray(entry["centre_pc"]), float(entry["radius_pc"])
            start = cluster_gaussians(cell.positions[rest], photometry.luminosity(cell.abs_mag[rest]), cell.colours[rest],
                                      chosen.n_gaussians, 0, 1e-4 * radius)
            for rate in args.learning_rates:
                started = time.perf_counter()
                _, report = train_level(cell.positions[rest], cell.abs_mag[rest], cell.colours[rest], start, centre, radius, 0,
                                        replace(options, learning_rate=rate), args.device)
                seconds = time.perf_counter() - started
                rows.append({"cell": entry["id"], "stars": len(cell.abs_mag), "fraction": fraction, "gaussians": len(start),
                             "learning_rate": rate, "loss_clustered": report.loss_clustered, "loss_trained": report.loss_trained,
                             "improvement": report.improvement, "best_step": report.best_step, "seconds": seconds, "curve": report.curve})
                print(f"{entry['id']:>8s} {len(cell.abs_mag):7d} {fraction:5.2f} {len(start):6d} {rate:7.4f} | {report.loss_clustered:9.4f} "
                      f"{report.loss_trained:8.4f} {100 * report.improvement:6.1f}% {report.best_step:5d} {seconds:6.1f}", flush=True)
    summary = {str(rate): {"median_improvement": statistics.median(r["improvement"] for r in chosen),
                           "min_improvement": min(r["improvement"] for r in chosen),
                           "kept_clustered": sum(r["best_step"] == 0 for r in chosen),
                           "median_seconds": statistics.median(r["seconds"] for r in chosen)}
               for rate in args.learning_rates if (chosen := [r for r in rows if r["learning_rate"] == rate])}
    print(json.dumps(summary))
    machine = {"device": args.device, "cpu_count": __import__("os").cpu_count(), "torch": torch.__version__, "platform": platform.platform(),
               "gpu": torch.cuda.get_device_name() if args.device == "cuda" else None}
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "options": options.as_dict() | {"softening": options.softening},
                       "summary": summary, "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
