"""Do the levels keep their light?  The light in view drawn by the level rule against every star as a point.

    python benchmarks/bench_level_light.py RESULTS [--json FILE]

RESULTS is a workflow output with trained levels (the default run's ``results/``).  From points above the
Galactic plane (2, 5 and 20 kpc over the Sun) looking at the Sun, 40 and 100 degree fields at 800 x 600,
it renders the universe twice, every star as a point (``helios render --points``) and by the level rule
with the trained levels (``helios render``), and prints the light in view of each (the sum of the linear
image's luminance) and their ratio.  Also each trained level's Gaussians' luminosity against the stars'
they replace (``luminosity_ratio`` in ``trained/index.json``): the worst.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from helios import photometry
from helios.astro import NORTH_GALACTIC_POLE_ICRS
from helios.cameras import pinhole
from helios.lod.sources import TrainedLevels
from helios.render.sky import render_sky, render_sky_levels
from helios.universe import Universe

HEIGHTS_PC = (2000.0, 5000.0, 20000.0)
FIELDS_DEG = (40.0, 100.0)


def pole(universe: Universe) -> np.ndarray:
    """The north Galactic pole in the universe's frame."""
    return np.array([0.0, 0.0, 1.0]) if universe.index["frame"] == "galactic" else np.asarray(NORTH_GALACTIC_POLE_ICRS)


def light_in_view(image: np.ndarray) -> float:
    return float(photometry.luminance(image[0].reshape(-1, 3)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--size", type=int, nargs=2, default=(800, 600))
    parser.add_argument("--json")
    args = parser.parse_args()
    universe = Universe(args.results)
    source = TrainedLevels.find(args.results)
    if source is None:
        raise SystemExit(f"{args.results}: no trained levels")
    ratios = [(cell, level["level"], level["luminosity_ratio"]) for cell in source.cells.values() for level in cell["levels"]
              if level["luminosity_ratio"] is not None]
    worst = max(ratios, key=lambda r: abs(r[2] - 1))
    print(f"{len(ratios)} levels' Gaussians against their stars' luminosity: worst {worst[0]['id']} level {worst[1]}: "
          f"{worst[2] - 1:+.4%}")
    up = np.array([1.0, 0.0, 0.0])  # not along the pole in either frame
    rows = []
    for height in HEIGHTS_PC:
        for fov in FIELDS_DEG:
            views = pinhole(height * pole(universe), np.zeros(3), fov, *args.size, up)
            points = light_in_view(render_sky(universe, views))
            levels, drawn = render_sky_levels(universe, views, source)
            light = light_in_view(levels)
            rows.append({"height_pc": height, "fov_deg": fov, "points_light": points, "levels_light": light,
                         "ratio": light / points, "drawn": drawn})
            print(f"{height / 1000:5.0f} kpc above the Sun, {fov:3.0f} deg: levels / points light {light / points - 1:+.3%}  {drawn}",
                  flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": args.results.name, "size": args.size, "rows": rows,
                                               "worst_luminosity_ratio": worst[2]}, indent=1))


if __name__ == "__main__":
    main()
