"""`helios render` of a whole universe, and its photometric truth.

    python benchmarks/bench_render.py --universe DIR [--trained RESULTS | --clustered] [--device cpu|cuda] [--repeats 3] [--json FILE]

DIR is a ``helios build`` output (e.g. of the full Hipparcos-2 catalogue). For each camera
(from the Sun towards Orion, and three others) it times ``render_sky`` at 1920 x 1080 and
256 x 256 (median of ``--repeats``, in this process, cells read from disk each time), then
measures every star brighter than 5 mag from the Sun on six 4096 px cube faces
(``helios.measure.sky_photometry``): the error of the recovered magnitudes.  With ``--trained``
(a workflow output with trained levels) or ``--clustered`` (every cell's untrained levels, for a
universe without a workflow run; clustering is then part of the time) each camera is also timed
drawn by the level rule (``helios render`` without ``--points``), and the photometry is measured
again on that level render.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from helios.astro import GALACTIC_CENTRE_ICRS
from helios.cameras import pinhole
from helios.landmarks import find_landmark, load_landmarks
from helios.measure import sky_photometry
from helios.render.sky import render_sky
from helios.universe import Universe


def landmark(universe: Universe, prefix: str) -> np.ndarray:
    return universe.landmark_position(find_landmark(load_landmarks(), prefix))


def cameras(universe: Universe) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """name -> (eye, target, up)."""
    sun, z, x = np.zeros(3), np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    galactic_centre = universe.grid.to_frame(100 * GALACTIC_CENTRE_ICRS[None])[0]
    return {
        "sun -> Orion (Betelgeuse)": (sun, landmark(universe, "Betelgeuse"), z),
        "sun -> Galactic centre": (sun, galactic_centre, z),
        "inside the Pleiades -> sun": (landmark(universe, "M 45 (Pleiades)"), sun, z),
        "500 pc above the Sun -> sun": (500 * z, sun, x),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", required=True)
    parser.add_argument("--trained", help="a workflow output with trained levels: measure the photometry on the level render too")
    parser.add_argument("--clustered", action="store_true", help="measure the photometry on the level render with clustered levels")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fov", type=float, default=60.0)
    parser.add_argument("--photometry-size", type=int, default=4096)
    parser.add_argument("--json")
    args = parser.parse_args()
    universe = Universe(args.universe)
    source = None
    if args.trained or args.clustered:
        from helios.lod.sources import ClusteredLevels, TrainedLevels
        from helios.render.sky import render_sky_levels

        source = TrainedLevels(Path(args.trained) / "trained") if args.trained else ClusteredLevels()
    rows = []
    for name, (eye, target, up) in cameras(universe).items():
        for width, height in ((1920, 1080), (256, 256)):
            views = pinhole(eye, target, args.fov, width, height, up)
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                image = render_sky(universe, views, device=args.device)
                if args.device == "cuda":
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - started)
            rows.append({"camera": name, "size": f"{width}x{height}", "median_s": statistics.median(times), "times_s": times,
                         "cells_in_view": len(universe.cells_in_view(views)), "total_flux": float(image.sum(dtype=np.float64))})
            print(f"{name:32s} {width:5d}x{height:<5d} {rows[-1]['median_s']:7.3f} s  ({rows[-1]['cells_in_view']} cells in view)", flush=True)
            if source is not None:  # the same camera drawn by the level rule (clustering included for --clustered)
                times = []
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    image, drawn = render_sky_levels(universe, views, source, device=args.device)
                    if args.device == "cuda":
                        torch.cuda.synchronize()
                    times.append(time.perf_counter() - started)
                rows[-1].update(levels_median_s=statistics.median(times), levels_times_s=times, levels_drawn=drawn,
                                levels_total_flux=float(image.sum(dtype=np.float64)))
                print(f"{'  by the level rule':32s} {width:5d}x{height:<5d} {statistics.median(times):7.3f} s  {drawn}", flush=True)
    photometry = measure_photometry(universe, args, None)
    print(json.dumps(photometry, indent=1))
    level_photometry = None
    if source is not None:
        drawn = {}

        def render_levels(u, v):
            image, counts = render_sky_levels(u, v, source, device=args.device)
            for name, count in counts.items():
                drawn[name] = drawn.get(name, 0) + count
            return image

        level_photometry = {**measure_photometry(universe, args, render_levels), "cells_drawn_by_level_on_the_faces": drawn}
        print("levels:", json.dumps(level_photometry, indent=1))
    machine = {"device": args.device, "cpu_count": __import__("os").cpu_count(), "torch": torch.__version__, "platform": platform.platform(),
               "gpu": torch.cuda.get_device_name() if args.device == "cuda" else None}
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "universe": {"stars": universe.index["star_count"], "cells": len(universe.cells)},
                       "renders": rows, "photometry": photometry, "level_photometry": level_photometry}, handle, indent=1)


def measure_photometry(universe: Universe, args: argparse.Namespace, render) -> dict:
    """Every star brighter than 5 mag from the Sun, measured on ``render``'s images (default: every star a point)."""
    started = time.perf_counter()
    result = sky_photometry(universe, np.zeros(3), 5.0, size=args.photometry_size, device=args.device, render=render)
    seconds = time.perf_counter() - started
    error, raw = np.abs(result.error), np.abs(result.measured_mag - result.expected_mag)
    return {
        "stars": int(len(error)), "cells": int(len(set(result.cell))), "seconds": seconds,
        "max_abs_error_mag": float(np.nanmax(error)), "median_abs_error_mag": float(np.nanmedian(error)),
        "within_0.05_mag": int((error <= 0.05).sum()), "isolated": int(result.isolated.sum()),
        "isolated_raw_max_abs_error_mag": float(raw[result.isolated].max()),
        "raw_within_0.05_mag": int((raw <= 0.05).sum()),
        "catalogue_vs_expected_max_mag": float(np.abs(result.catalogue_mag - result.expected_mag).max()),
    }


if __name__ == "__main__":
    main()
