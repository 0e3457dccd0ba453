"""Choose the cells to train: those near landmarks, or all of them.

A landmark selects every cell within ``neighbors`` steps of its own cell that
exists in the universe index.  Cells are the leaves of the cell tree, and a step is
the size of the landmark's own leaf (:meth:`helios.cell_tree.Leaves.near`; where no
cell splits, these are :meth:`helios.grid.Grid.neighbours`).  Each selected cell
records the landmarks that caused it and their step distance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from helios.cell_tree import Leaves, fine_keys
from helios.errors import HeliosError
from helios.grid import Grid
from helios.landmarks import CATEGORIES, Landmark

SELECTION_FORMAT = "helios-selection"
SELECTION_VERSION = 1
MODES = ("landmarks", "all")


def _cell_summary(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: entry[k] for k in ("id", "l", "t", "p", "star_count", "file")}


def select_cells(
    index: dict[str, Any],
    landmarks: Sequence[Landmark],
    *,
    mode: str = "landmarks",
    neighbors: int = 1,
    categories: Iterable[str] | None = None,
    landmark_source: str = "builtin",
) -> dict[str, Any]:
    """Build the selection document for a universe ``index``."""
    if mode not in MODES:
        raise HeliosError(f"selection mode must be one of {', '.join(MODES)}, got {mode!r}")
    if neighbors < 0:
        raise HeliosError(f"neighbors must be >= 0, got {neighbors}")
    grid = Grid.from_mapping(index["grid"])
    existing = {entry["id"]: entry for entry in index["cells"]}
    document: dict[str, Any] = {
        "format": SELECTION_FORMAT,
        "version": SELECTION_VERSION,
        "mode": mode,
        "grid": grid.as_dict(),
        "universe_cell_count": len(existing),
    }
    if mode == "all":
        cells = [dict(_cell_summary(entry), landmarks=[]) for entry in index["cells"]]
        document.update(cell_count=len(cells), cells=cells)
        return document

    wanted = sorted(set(categories)) if categories else None
    if wanted:
        unknown = sorted(set(wanted) - set(CATEGORIES))
        if unknown:
            raise HeliosError(f"unknown landmark categories: {', '.join(unknown)}; known: {', '.join(CATEGORIES)}")
        landmarks = [lm for lm in landmarks if lm.category in wanted]
    caused: dict[str, list[dict[str, Any]]] = {}
    unmatched = []
    leaves = Leaves.from_ids(grid, [entry["id"] for entry in index["cells"]])
    if landmarks:
        keys = fine_keys(grid, grid.to_frame(np.array([lm.xyz for lm in landmarks], dtype=np.float64)))
    for i, landmark in enumerate(landmarks):
        home = leaves.home(int(keys[i]))
        hits = 0
        for leaf, distance in leaves.near(home, neighbors):
            caused.setdefault(leaves.ids[leaf], []).append(
                {"name": landmark.name, "category": landmark.category, "home_cell": home.id(grid), "distance": distance}
            )
            hits += 1
        if not hits:
            unmatched.append({"name": landmark.name, "category": landmark.category, "home_cell": home.id(grid)})
    cells = []
    for entry in index["cells"]:
        if entry["id"] in caused:
            reasons = sorted(caused[entry["id"]], key=lambda r: (r["distance"], r["name"]))
            cells.append(dict(_cell_summary(entry), landmarks=reasons))
    document.update(
        neighbors=neighbors,
        landmark_source=landmark_source,
        categories=wanted or "all",
        landmark_count=len(landmarks),
        cell_count=len(cells),
        cells=cells,
        landmarks_without_cells=unmatched,
    )
    return document
