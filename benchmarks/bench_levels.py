"""Levels of detail against every star as a point, at equal bytes.

    python benchmarks/bench_levels.py --universe DIR [--trained RESULTS [LABEL=RESULTS ...]] --views sun pleiades above-1kpc vega deneb [--outside]
        [--sizes 256x256 1920x1080] [--fractions 0.01 0.03 0.1 0.3 rule] [--limiting-mag 6.5 [15]] [--device cuda]
        [--point-share 0.5] --json FILE

For each viewpoint, image size and fraction it renders the reference (every star a point), the
magnitude cut, the clustered (untrained) Gaussians and, with ``--trained`` (a workflow output with
trained levels of every cell), the trained levels (``helios.lod.compare``) and prints PSNR and
SSIM of the tone-mapped images, the total flux's error and star completeness, with the bytes each
method drew.  ``rule`` draws each cell at the level the level rule picks for it (with its
photometric guard at the limiting magnitude; the cut then keeps as many bytes per cell).
The clustered Gaussians are computed once per cell and fraction (timed apart).  Several trained
runs (``LABEL=RESULTS``, e.g. workflows with different ``levels:`` settings) are compared side by
side in one run, against the same reference, cut and clustered images.  ``--point-share`` changes the
share of a level's bytes spent on points (default ``helios.lod.ladder.DEFAULT_POINT_SHARE``, the
config's ``levels.point_share``) for the untrained levels of this run, to measure that split against the cut.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from helios.astro import GALACTIC_CENTRE_ICRS, NORTH_GALACTIC_POLE_ICRS
from helios.cameras import pinhole
from helios.landmarks import find_landmark, load_landmarks
from helios.lod.compare import LevelCache, level_images, scores
from helios.lod.ladder import DEFAULT_POINT_SHARE
from helios.lod.sources import TrainedLevels
from helios.universe import Universe


def landmark(universe: Universe, prefix: str) -> np.ndarray:
    return universe.landmark_position(find_landmark(load_landmarks(), prefix))


def viewpoint(universe: Universe, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eye, target, up) of a named viewpoint."""
    sun, z = np.zeros(3), np.array([0.0, 0.0, 1.0])
    galactic_pole = universe.grid.to_frame(NORTH_GALACTIC_POLE_ICRS[None])[0]
    centre_direction = universe.grid.to_frame(GALACTIC_CENTRE_ICRS[None])[0]
    if name == "sun":
        return sun, landmark(universe, "Betelgeuse"), z
    if name == "pleiades":
        return landmark(universe, "M 45 (Pleiades)"), sun, z
    if name == "above-1kpc":
        return 1000 * galactic_pole, sun, centre_direction
    if name == "outside":  # 30 kpc above the Galactic centre, looking down
        centre = 8200 * centre_direction
        return centre + 30000 * galactic_pole, centre, centre_direction
    named = {"vega": "Vega", "deneb": "Deneb (", "rigel": "Rigel", "polaris": "Polaris", "antares": "Antares"}  # "Deneb" alone: Denebola too
    if name in named:
        return landmark(universe, named[name]), sun, z
    raise SystemExit(f"unknown viewpoint {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", required=True)
    parser.add_argument("--trained", nargs="+", default=[],
                        help="workflow output directories whose trained levels to compare (ground_truth: levels), each DIR or LABEL=DIR")
    parser.add_argument("--views", nargs="+", default=["sun", "pleiades", "above-1kpc", "vega", "deneb"])
    parser.add_argument("--sizes", nargs="+", default=["256x256"])
    parser.add_argument("--fractions", nargs="+", default=["0.01", "0.03", "0.1", "0.3", "rule"],
                        help="level fractions, or rule: each cell at the level the rule picks")
    parser.add_argument("--fov", type=float, default=60.0)
    parser.add_argument("--limiting-mag", type=float, nargs="+", default=[6.5], help="one or more exposures (the clustering is shared)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda: where images are drawn and k-means runs")
    parser.add_argument("--point-share", type=float,
                        help=f"share of each level's bytes spent on points (default {DEFAULT_POINT_SHARE}); clustered levels only")
    parser.add_argument("--json")
    args = parser.parse_args()
    if args.point_share is not None:
        if not 0 < args.point_share < 1:
            parser.error(f"--point-share {args.point_share}: must be between 0 and 1")
        if args.trained:
            parser.error("--point-share applies to the clustered levels; trained levels keep the share they were trained with")
    point_share = DEFAULT_POINT_SHARE if args.point_share is None else args.point_share
    universe = Universe(args.universe)
    cache = LevelCache(device=args.device)
    trained = {}
    for given in args.trained:
        label, _, directory = given.rpartition("=")
        trained["trained" + (f":{label}" if label else "")] = TrainedLevels(Path(directory) / "trained")
    methods = ("cut", "clustered", *trained)
    rows = []
    machine = {"cpu_count": os.cpu_count(), "torch": torch.__version__, "platform": platform.platform(),
               "device": torch.cuda.get_device_name() if args.device.startswith("cuda") else "cpu"}

    def save() -> None:  # after every row: a run stopped by a time limit keeps what it measured
        if args.json:
            with open(args.json, "w") as handle:
                universe_facts = {"root": str(universe.root.name), "stars": universe.index["star_count"], "cells": len(universe.cells)}
                json.dump({"machine": machine, "point_share": point_share, "universe": universe_facts, "rows": rows}, handle, indent=1)

    print(f"{'view':12s} {'size':>9s} {'mag':>4s} {'f':>5s} | "
          + " | ".join(f"{m.split(':')[-1][:5]:>5s} PSNR {'SSIM':>6s} {'flux':>7s} {'compl':>6s}" for m in methods)
          + f" | {'bytes %':>7s} {'s':>6s}", flush=True)
    for name in args.views:
        eye, target, up = viewpoint(universe, name)
        for size in args.sizes:
            width, height = (int(v) for v in size.split("x"))
            views = pinhole(eye, target, args.fov, width, height, up)
            for limiting_mag, label in ((m, f) for m in args.limiting_mag for f in args.fractions):
                fraction = None if label == "rule" else float(label)
                started = time.perf_counter()
                result = level_images(universe, views, fraction, ("points", *methods), limiting_mag=limiting_mag, cache=cache,
                                      trained=trained, device=args.device, point_share=point_share)
                seconds = time.perf_counter() - started
                reference = result.images["points"]
                row = {"view": name, "size": size, "limiting_mag": limiting_mag, "fraction": label if fraction is None else fraction,
                       "seconds": seconds, "bytes": result.bytes,
                       **{m: scores(reference, result.images[m], result.visible_xy, limiting_mag) for m in methods}}
                rows.append(row)
                save()
                print(f"{name:12s} {size:>9s} {limiting_mag:4g} {label:>5s} | "
                      + " | ".join(f"{row[m]['psnr_db']:10.2f} {row[m]['ssim']:6.3f} {row[m]['flux_error']:+7.3f} {row[m]['completeness']:6.3f}"
                                   for m in methods)
                      + f" | {100 * result.bytes['clustered'] / result.bytes['points']:7.1f} {seconds:6.1f}", flush=True)


if __name__ == "__main__":
    main()
