"""Clustering one big cell into a level's Gaussians: k-means++ and all distances against the starts used
above ``KMEANS_PP_MAX`` clusters (k-means++ on a weighted sample of the stars; k-means++ in blocks of
that sample, the default above ``SUBSAMPLE_PP_MAX``; a weighted sample of stars, the start used there
before) with a k-d tree, side by side in one run.

    python benchmarks/bench_cluster.py --universe DIR [--fractions 0.01 0.03 0.1] [--repeat 3] [--skip-full] --json FILE

Takes the universe's most populous cell, and for each fraction clusters the stars after the level's
point prefix (``helios.lod.ladder.level``) both ways; prints the median seconds and each result's
luminosity-weighted spread (sum of L |x - mean|^2; lower is a tighter fit).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
import torch

from helios import photometry
from helios.lod import cluster
from helios.lod.ladder import level
from helios.universe import Universe


def spread(positions: np.ndarray, luminosity: np.ndarray, labels: np.ndarray) -> float:
    n = labels.max() + 1
    total = np.bincount(labels, weights=luminosity, minlength=n)
    centres = np.stack([np.bincount(labels, weights=luminosity * positions[:, i], minlength=n) for i in range(3)], 1) / total[:, None]
    return float(np.sum(luminosity * np.sum((positions - centres[labels]) ** 2, axis=1)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", required=True)
    parser.add_argument("--fractions", nargs="+", type=float, default=[0.01, 0.03, 0.1])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-full", action="store_true", help="leave out k-means++ on every star (hours for big levels)")
    parser.add_argument("--json")
    args = parser.parse_args()
    universe = Universe(args.universe)
    entry = max(universe.cells, key=lambda c: c["star_count"])
    cell = universe.read(entry)
    luminosity = photometry.luminosity(cell.abs_mag)
    rows = []
    default_max, default_subsample_max = cluster.KMEANS_PP_MAX, cluster.SUBSAMPLE_PP_MAX
    blockwise_pp = cluster._blockwise_pp

    def plain_sample(x, w, weights, k, rng):
        return cluster._weighted_sample(weights, k, rng)

    for fraction in args.fractions:
        chosen = level(len(cell.abs_mag), fraction)
        rest = slice(chosen.n_points, None)
        for method, pp_max, subsample_max in (("k-means++, all distances", 10**12, 10**12),
                                              ("++ on a sample, k-d tree", default_max, 10**12),
                                              ("++ in blocks of a sample", default_max, default_max),
                                              ("weighted sample, k-d tree", default_max, default_max)):
            if args.skip_full and method == "k-means++, all distances":
                continue
            cluster.KMEANS_PP_MAX, cluster.SUBSAMPLE_PP_MAX = pp_max, subsample_max
            # The start used above SUBSAMPLE_PP_MAX before the blocks: a weighted sample of k stars.
            cluster._blockwise_pp = plain_sample if method.startswith("weighted sample") else blockwise_pp
            times, labels = [], None
            for _ in range(args.repeat):
                started = time.perf_counter()
                labels = cluster.weighted_kmeans(cell.positions[rest], luminosity[rest], chosen.n_gaussians, seed=0)
                times.append(time.perf_counter() - started)
            row = {"cell": entry["id"], "stars": int(len(cell.abs_mag) - chosen.n_points), "fraction": fraction, "k": chosen.n_gaussians,
                   "method": method, "seconds": times, "median_s": statistics.median(times),
                   "spread": spread(cell.positions[rest], luminosity[rest], labels)}
            rows.append(row)
            print(f"{entry['id']} {row['stars']:>9,} stars  f {fraction:<5g} k {row['k']:>7,}  {method:28s} "
                  f"median {row['median_s']:8.2f} s  spread {row['spread']:.4e}", flush=True)
        cluster.KMEANS_PP_MAX, cluster.SUBSAMPLE_PP_MAX = default_max, default_subsample_max
        cluster._blockwise_pp = blockwise_pp
    if args.json:
        machine = {"cpu_count": os.cpu_count(), "threads": torch.get_num_threads(), "torch": torch.__version__, "platform": platform.platform()}
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "rows": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
