"""A cell's ladder of levels, built: the brightest stars as points, the rest clustered and trained.

For each fraction of the ladder (:mod:`helios.lod.ladder`; ``fractions``, ``point_share`` and ``min_stars`` of the
options, :class:`helios.lod.options.LevelOptions`) the stars after the level's point prefix
are clustered into its Gaussians (:mod:`helios.lod.cluster`), which are then trained to those stars'
light seen from where the level is used (:mod:`helios.lod.train`).  A level is not trained when
there is nothing to learn: when it has a Gaussian for every remaining star (each one is then that
star, exactly) or when training is switched off (``iterations: 0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from helios import photometry
from helios.lod.cluster import cluster_gaussians
from helios.lod.gaussians import GlowGaussians
from helios.lod.ladder import Level, ladder
from helios.lod.options import LevelOptions  # the config's levels: section, also imported from here
from helios.lod.train import LevelTrainReport, train_level

#: A one-star cluster's Gaussian is a point this small, relative to the cell's bounding radius.
FLOOR_RELATIVE = 1e-4


@dataclass
class CellLevel:
    """One level of a cell: its size, its Gaussians (pc, the universe's frame) and how they were trained."""

    level: Level
    gaussians: GlowGaussians
    report: LevelTrainReport | None  # None: not trained
    not_trained_because: str | None = None
    remainder_luminosity: float = 0.0  # total luminosity of the stars the Gaussians replace


def build_cell_levels(positions: np.ndarray, colours: np.ndarray, abs_mag: np.ndarray, centre: np.ndarray, radius: float,
                      seed: int, options: LevelOptions = LevelOptions(), device: str | torch.device = "cpu",
                      progress: Any = None) -> list[CellLevel]:
    """The levels of a cell whose stars (pc, brightest first) are ``positions``, ``colours`` (unit
    luminance) and ``abs_mag``; ``centre`` and ``radius`` its bounding sphere."""
    positions, colours, abs_mag = np.asarray(positions, np.float64), np.asarray(colours, np.float64), np.asarray(abs_mag, np.float64)
    if len(abs_mag) > 1 and np.any(np.diff(abs_mag) < 0):
        raise ValueError("stars must be stored brightest first (ascending absolute magnitude)")
    centre = np.asarray(centre, np.float64)
    radius = float(radius) if radius > 0 else 1.0
    luminosity = photometry.luminosity(abs_mag)
    levels = []
    for number, chosen in enumerate(ladder(len(abs_mag), options.fractions, options.point_share, options.min_stars), 1):  # number == chosen.number
        fraction = chosen.fraction
        rest = slice(chosen.n_points, None)
        level_seed = (seed + number * 7919) % 2**31
        start = cluster_gaussians(positions[rest], luminosity[rest], colours[rest], chosen.n_gaussians, level_seed,
                                  floor_pc=FLOOR_RELATIVE * radius)
        remaining = len(abs_mag) - chosen.n_points
        built = CellLevel(chosen, start, None, remainder_luminosity=float(luminosity[rest].sum()))
        if remaining == 0:
            built.not_trained_because = "no stars beyond the points"
        elif len(start) >= remaining:
            built.not_trained_because = "a Gaussian for every remaining star (exact)"
        elif options.iterations == 0:
            built.not_trained_because = "training off (iterations 0)"
        else:
            built.gaussians, built.report = train_level(positions[rest], abs_mag[rest], colours[rest], start, centre, radius,
                                                        level_seed, options, device)
        levels.append(built)
        if progress is not None:
            trained = (f"held-out loss {built.report.loss_clustered:.4g} -> {built.report.loss_trained:.4g} "
                       f"(best step {built.report.best_step})" if built.report else f"not trained: {built.not_trained_because}")
            progress(f"level {number} ({fraction:g}): {chosen.n_points} points + {len(built.gaussians)} Gaussians; {trained}")
    return levels
