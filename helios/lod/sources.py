"""Where a cell's levels come from when the universe is drawn: the trained levels of a workflow
output (:class:`TrainedLevels`), or Gaussians clustered on the fly (:class:`ClusteredLevels`, the
untrained baseline).  Both answer two questions: which levels a cell has, and a level's Gaussians."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from helios.errors import HeliosError
from helios.lod.compare import LevelCache
from helios.lod.gaussians import GlowGaussians
from helios.lod.ladder import DEFAULT_MIN_STARS, DEFAULT_POINT_SHARE, LEVEL_FRACTIONS, Level, with_remainder
from helios.lod.ladder import ladder as ladder_of
from helios.lod.store import read_cell_levels
from helios.universe import read_trained_index


class LevelSource(Protocol):
    def ladder(self, cell: Any) -> list[Level]:
        """The levels of ``cell`` (a :class:`helios.universe.CellPoints`), each with its
        ``remainder_abs_mag`` and its ``number``; empty: it is drawn as points only."""

    def gaussians(self, cell: Any, chosen: Level) -> GlowGaussians:
        """The Gaussians of one of its levels (from :meth:`ladder`), in the universe's frame."""


class ClusteredLevels:
    """Every cell of at least ``min_stars`` has the default ladder (or ``fractions``, ``point_share`` of each level's
    bytes on points), its Gaussians clustered when first drawn (not trained)."""

    def __init__(self, seed: int = 0, fractions: tuple[float, ...] = LEVEL_FRACTIONS, point_share: float = DEFAULT_POINT_SHARE,
                 min_stars: int = DEFAULT_MIN_STARS) -> None:
        self.cache, self.fractions, self.point_share, self.min_stars = LevelCache(seed), tuple(fractions), point_share, min_stars

    def ladder(self, cell: Any) -> list[Level]:
        return with_remainder(ladder_of(len(cell.abs_mag), self.fractions, self.point_share, self.min_stars), cell.abs_mag)

    def gaussians(self, cell: Any, chosen: Level) -> GlowGaussians:
        return self.cache.get(cell, chosen)[1]


class TrainedLevels:
    """The levels a workflow trained (``trained/index.json`` with ``ground_truth: levels``); the cells
    it did not select have none and are drawn as points."""

    def __init__(self, trained_dir: str | Path, index: dict[str, Any] | None = None) -> None:
        self.root = Path(trained_dir)
        index = index or read_trained_index(self.root / "index.json")
        if index["ground_truth"] != "levels":
            raise HeliosError(f"{self.root / 'index.json'}: this run trained {index['ground_truth']} splats, not levels")
        self.cells = {cell["id"]: cell for cell in index["cells"]}
        self._loaded: dict[str, dict[int, GlowGaussians]] = {}

    @classmethod
    def find(cls, results: str | Path) -> TrainedLevels | None:
        """The trained levels of a workflow output directory, or ``None`` when it has none."""
        path = Path(results) / "trained" / "index.json"
        if not path.is_file():
            return None
        index = read_trained_index(path)
        return cls(path.parent, index) if index["ground_truth"] == "levels" else None

    def ladder(self, cell: Any) -> list[Level]:
        entry = self.cells.get(cell.cell_id)
        if entry is None:
            return []
        if entry["star_count"] != len(cell.abs_mag):
            raise HeliosError(f"cell {cell.cell_id}: the trained levels were made from {entry['star_count']} stars, the universe "
                              f"has {len(cell.abs_mag)}; rerun the workflow")
        return with_remainder([Level(level["fraction"], level["points"], level["gaussians"], number=level["level"])
                               for level in entry["levels"]], cell.abs_mag)

    def gaussians(self, cell: Any, chosen: Level) -> GlowGaussians:
        entry = self.cells[cell.cell_id]
        if chosen.number not in {level["level"] for level in entry["levels"]}:
            raise HeliosError(f"cell {cell.cell_id}: no trained level number {chosen.number}; take the level from this source's ladder")
        if cell.cell_id not in self._loaded:
            self._loaded = {cell.cell_id: read_cell_levels(self.root / entry["file"], np.asarray(entry["centre_pc"]))}
        return self._loaded[cell.cell_id].get(chosen.number, GlowGaussians.empty())  # a level of no Gaussians has no rows
