"""Do the levels keep their light?  The light in view drawn by the level rule against every star as a point.

    python benchmarks/bench_level_light.py RESULTS [--min-stars N ...] [--json FILE]

RESULTS is a workflow output with trained levels (the default run's ``results/``).  From points above the
Galactic plane (2, 5 and 20 kpc over the Sun) looking at the Sun, 40 and 100 degree fields at 800 x 600,
it renders the universe twice, every star as a point (``helios render --points``) and by the level rule
with the trained levels (``helios render``), and prints the light in view of each (the sum of the linear
image's luminance), their ratio and the bytes the rule draws.  Also each trained level's Gaussians' luminosity against the stars'
they replace (``luminosity_ratio`` in ``trained/index.json``): the worst.  With ``--min-stars``, once per number
given, drawing as points every cell of fewer stars (what ``levels.min_stars`` does; run it on levels trained with
``levels.min_stars: 1``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from helios import photometry
from helios.astro import NORTH_GALACTIC_POLE_ICRS
from helios.cameras import pinhole
from helios.lod.ladder import POINT_BYTES, Level
from helios.lod.rule import choose_level_in_view
from helios.lod.sources import TrainedLevels
from helios.render.sky import render_sky, render_sky_levels
from helios.universe import Universe

HEIGHTS_PC = (2000.0, 5000.0, 20000.0)
FIELDS_DEG = (40.0, 100.0)


def pole(universe: Universe) -> np.ndarray:
    """The north Galactic pole in the universe's frame."""
    return np.array([0.0, 0.0, 1.0]) if universe.index["frame"] == "galactic" else np.asarray(NORTH_GALACTIC_POLE_ICRS)


class CellsOfAtLeast:
    """``source``'s levels for the cells of at least ``min_stars`` stars; the others have none (points)."""

    def __init__(self, source: TrainedLevels, min_stars: int) -> None:
        self.source, self.min_stars = source, min_stars

    def ladder(self, cell: Any) -> list[Level]:
        return self.source.ladder(cell) if len(cell.abs_mag) >= self.min_stars else []

    def gaussians(self, cell: Any, chosen: Level) -> Any:
        return self.source.gaussians(cell, chosen)


def bytes_drawn(universe: Universe, views: Any, source: Any) -> int:
    """Bytes of the points and Gaussians the level rule draws (at the default limiting magnitude)."""
    total = 0
    for entry in universe.cells_in_view(views):
        cell = universe.read(entry)
        chosen = choose_level_in_view(source.ladder(cell), entry, views, photometry.DEFAULT_LIMITING_MAG)
        total += len(cell.abs_mag) * POINT_BYTES if chosen is None else chosen.bytes
    return total


def light_in_view(image: np.ndarray) -> float:
    return float(photometry.luminance(image[0].reshape(-1, 3)).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--size", type=int, nargs=2, default=(800, 600))
    parser.add_argument("--min-stars", type=int, nargs="+", default=[None], help="draw cells of fewer stars as points")
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
            for min_stars in args.min_stars:
                chosen = source if min_stars is None else CellsOfAtLeast(source, min_stars)
                levels, drawn = render_sky_levels(universe, views, chosen)
                light, size = light_in_view(levels), bytes_drawn(universe, views, chosen)
                rows.append({"height_pc": height, "fov_deg": fov, "min_stars": min_stars, "points_light": points,
                             "levels_light": light, "ratio": light / points, "drawn": drawn, "bytes": size})
                print(f"{height / 1000:5.0f} kpc above the Sun, {fov:3.0f} deg{'' if min_stars is None else f', cells of {min_stars}+ stars'}: "
                      f"levels / points light {light / points - 1:+.3%}, {size / 1e3:.0f} kB  {drawn}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"results": args.results.name, "size": args.size, "rows": rows,
                                               "worst_luminosity_ratio": worst[2]}, indent=1))


if __name__ == "__main__":
    main()
