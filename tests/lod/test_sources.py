"""Where a drawn cell's levels come from: the trained levels, found by their number, and clustered ones, of a point share."""

from dataclasses import replace

import numpy as np
import pytest

from helios.errors import HeliosError
from helios.lod.cell_job import level_cell
from helios.lod.ladder import ladder, level
from helios.lod.levels import LevelOptions
from helios.lod.sources import ClusteredLevels, TrainedLevels
from helios.lod.store import read_cell_levels
from helios.trained_index import build_trained_index
from helios.universe import Universe

FRACTIONS, SHARE = (0.03, 0.3), 0.6


@pytest.fixture(scope="module")
def trained(sample_universe, tmp_path_factory):
    """Levels (clustered, not trained: fast) of the sample's two most populous cells at a point share of 0.6, indexed."""
    root = tmp_path_factory.mktemp("trained")
    (root / "levels").mkdir()
    universe = Universe(sample_universe)
    chosen = sorted(universe.index["cells"], key=lambda entry: -entry["star_count"])[:2]
    options = LevelOptions(fractions=FRACTIONS, iterations=0, point_share=SHARE)
    for entry in chosen:
        stem = root / "levels" / entry["id"]
        level_cell(universe.root / entry["file"], f"{stem}.levels.parquet", f"{stem}.levels.json", options, 0, universe.grid)
    build_trained_index(universe.index, {"cells": [{"id": entry["id"]} for entry in chosen]}, root, root / "index.json",
                        cell_files={entry["id"]: f"levels/{entry['id']}" for entry in chosen})
    return universe, chosen, TrainedLevels(root)


def test_trained_levels_are_numbered_as_the_workflow_made_them_at_its_point_share(trained):
    universe, chosen, source = trained
    for entry in chosen:
        cell = universe.read(entry)
        levels = source.ladder(cell)
        assert [lv.number for lv in levels] == [1, 2]
        assert [lv.n_points for lv in levels] == [lv.n_points for lv in ladder(len(cell.abs_mag), FRACTIONS, SHARE)]
        assert [lv.n_points for lv in levels] != [lv.n_points for lv in ladder(len(cell.abs_mag), FRACTIONS)]


def test_a_trained_levels_gaussians_are_found_by_its_number_not_its_fraction(trained):
    """A level whose fraction went through arithmetic (its last bits differ from the index's) still gets its own
    Gaussians, found by its number; a level not from this source's ladder is a clear error."""
    universe, chosen, source = trained
    entry = chosen[0]
    cell = universe.read(entry)
    stored = read_cell_levels(source.root / source.cells[entry["id"]]["file"], np.asarray(entry["centre_pc"]))
    assert len(stored[1]) != len(stored[2])  # the levels can be told apart
    for lv in source.ladder(cell):
        drifted = replace(lv, fraction=lv.fraction * (1 + 1e-15))
        assert drifted.fraction != lv.fraction
        found = source.gaussians(cell, drifted)
        assert len(found) == lv.n_gaussians and np.array_equal(found.means, stored[lv.number].means)
    with pytest.raises(HeliosError, match="no trained level number None"):
        source.gaussians(cell, level(len(cell.abs_mag), FRACTIONS[0], SHARE))  # made alone: in no ladder


def test_clustered_levels_follow_their_point_share(trained):
    universe, chosen, _ = trained
    cell = universe.read(chosen[0])
    for share in (0.5, 0.9):
        source = ClusteredLevels(fractions=FRACTIONS, point_share=share)
        levels = source.ladder(cell)
        assert [(lv.number, lv.n_points, lv.n_gaussians) for lv in levels] == [
            (lv.number, lv.n_points, lv.n_gaussians) for lv in ladder(len(cell.abs_mag), FRACTIONS, share)]
        assert len(source.gaussians(cell, levels[0])) == levels[0].n_gaussians
