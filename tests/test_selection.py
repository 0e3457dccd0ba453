import pytest

from helios.errors import HeliosError
from helios.grid import Grid, cell_id
from helios.landmarks import Landmark
from helios.selection import select_cells

GRID = Grid(r0_pc=1.0, base=4.0, n_shells=6, n_theta=6, n_phi=3)


def universe(cells):
    entries = [
        {"id": cell_id(c), "l": c[0], "t": c[1], "p": c[2], "star_count": 10, "file": f"cells/{cell_id(c)}.parquet"}
        for c in sorted(cells)
    ]
    return {"grid": GRID.as_dict(), "cells": entries}


def landmark_in(cell, name="L", category="nebula"):
    """A landmark at the centre of ``cell``."""
    centre, _ = GRID.centre_and_radius(cell)
    assert tuple(int(v[0]) for v in GRID.cell_indices(centre[None])) == cell
    return Landmark(name, category, *map(float, centre), source="test")


def test_neighbourhood_selection_keeps_only_existing_cells():
    existing = {(2, 0, 1), (2, 1, 1), (3, 5, 1), (2, 3, 1), (4, 0, 0), (1, 0, 1)}
    doc = select_cells(universe(existing), [landmark_in((2, 0, 1))], neighbors=1)
    ids = [c["id"] for c in doc["cells"]]
    # t wraps: 5 is a neighbour of 0; (2, 3, 1) is 3 sectors away; (4, 0, 0) 2 shells away.
    assert ids == ["1_0_1", "2_0_1", "2_1_1", "3_5_1"]
    reasons = {c["id"]: c["landmarks"][0]["distance"] for c in doc["cells"]}
    assert reasons == {"1_0_1": 1, "2_0_1": 0, "2_1_1": 1, "3_5_1": 1}
    assert doc["cell_count"] == 4 and doc["universe_cell_count"] == 6 and doc["neighbors"] == 1


def test_zero_neighbours_and_unmatched_landmarks():
    existing = {(2, 0, 1)}
    doc = select_cells(universe(existing), [landmark_in((2, 0, 1), "in"), landmark_in((5, 3, 2), "out")], neighbors=0)
    assert [c["id"] for c in doc["cells"]] == ["2_0_1"]
    assert doc["landmarks_without_cells"] == [{"name": "out", "category": "nebula", "home_cell": "5_3_2"}]


def test_cells_list_every_landmark_that_caused_them():
    existing = {(2, 0, 1), (2, 1, 1)}
    marks = [landmark_in((2, 0, 1), "a", "galaxy"), landmark_in((2, 1, 1), "b", "planet")]
    doc = select_cells(universe(existing), marks, neighbors=1)
    first = doc["cells"][0]
    assert [(r["name"], r["distance"]) for r in first["landmarks"]] == [("a", 0), ("b", 1)]
    only_galaxies = select_cells(universe(existing), marks, neighbors=0, categories=["galaxy"])
    assert [c["id"] for c in only_galaxies["cells"]] == ["2_0_1"]


def test_select_all():
    existing = {(2, 0, 1), (3, 3, 0)}
    doc = select_cells(universe(existing), [], mode="all")
    assert [c["id"] for c in doc["cells"]] == ["2_0_1", "3_3_0"]


def test_bad_options():
    with pytest.raises(HeliosError, match="selection mode"):
        select_cells(universe(set()), [], mode="some")
    with pytest.raises(HeliosError, match="unknown landmark categories: comet"):
        select_cells(universe(set()), [], categories=["comet"])
    with pytest.raises(HeliosError, match="neighbors must be >= 0"):
        select_cells(universe(set()), [], neighbors=-2)
