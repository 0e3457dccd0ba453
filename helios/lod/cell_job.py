"""One workflow job: a cell file in, its trained levels out (``helios levels-cell``, rule ``train_levels``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from helios import photometry
from helios.cell import load_cell
from helios.grid import Grid
from helios.lod.levels import LevelOptions, build_cell_levels
from helios.lod.store import write_cell_levels
from helios.provenance import versions
from helios.seeding import cell_seed


def level_cell(cell_path: str | Path, table_path: str | Path, metrics_path: str | Path, options: LevelOptions, seed: int,
               grid: Grid | None = None, device: str | torch.device = "cpu", progress: Any = None) -> dict[str, Any]:
    """Build and write the levels of one cell; returns its metrics."""
    started = time.perf_counter()
    cell = load_cell(cell_path, grid)
    positions = cell.positions * cell.scale_pc + cell.centre_pc
    colours = photometry.unit_luminance(cell.rgb)
    seed_of_cell = cell_seed(seed, cell.cell_id)
    if progress is not None:
        progress(f"cell {cell.cell_id}: {len(cell.abs_mag)} stars, bounding radius {cell.scale_pc:.4g} pc; "
                 + (f"{len(options.fractions)} levels, {options.iterations} iterations each" if len(cell.abs_mag) >= options.min_stars
                    else f"no levels (fewer than levels.min_stars {options.min_stars})"))
    levels = build_cell_levels(positions, colours, cell.abs_mag, cell.centre_pc, cell.scale_pc, seed_of_cell, options, device,
                               progress)
    extra = {"seed": seed, "cell_seed": seed_of_cell, "options": options.as_dict(), "stars_dropped_nonfinite": cell.dropped_nonfinite,
             "versions": versions("torch", "numpy"), "wall_time_s": round(time.perf_counter() - started, 3)}
    return write_cell_levels(table_path, metrics_path, cell.cell_id, cell.centre_pc, cell.scale_pc, len(cell.abs_mag), levels, extra)
