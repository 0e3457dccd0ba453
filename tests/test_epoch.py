"""A universe at another epoch: built there (pmsafe at ingest) or drawn there (straight lines from the
universe's epoch, `helios render --epoch`), in both grid frames."""

import numpy as np
import pyarrow.parquet as pq
import pytest

from helios.build import build
from helios.grid import Grid
from helios.ingest import IngestOptions
from helios.universe import Universe
from tests.conftest import REPO

SAMPLE = [{"kind": "file", "path": str(REPO / "data" / "hipparcos2_hp7.csv.gz")}]
LATER = 1991.25 + 20_000.0


def star_positions(root, velocities=False):
    """source_id -> position (pc, the universe's frame), from every cell file."""
    ids, xyz, v = [], [], []
    for path in sorted((root / "cells").glob("*/*.parquet")):
        table = pq.read_table(path)
        ids.append(table.column("source_id").to_numpy())
        xyz.append(np.stack([table.column(c).to_numpy() for c in ("x_pc", "y_pc", "z_pc")], 1))
        v.append(np.stack([table.column(c).to_numpy().astype(np.float64) for c in ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")], 1))
    order = np.argsort(np.concatenate(ids))
    return np.concatenate(ids)[order], np.concatenate(xyz)[order], np.concatenate(v)[order]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The sample at its epoch and 20 kyr later, on grids in both frames."""
    root = tmp_path_factory.mktemp("epoch")
    options = dict(parallax_zero_point_mas=0.0, ref_epoch=1991.25)
    for frame in ("icrs", "galactic"):
        build(SAMPLE, root / frame / "now", IngestOptions(**options), Grid(frame=frame))
        build(SAMPLE, root / frame / "later", IngestOptions(**options, epoch=LATER), Grid(frame=frame))
    return root


@pytest.fixture(params=["icrs", "galactic"])
def universes(request, built):
    return built / request.param / "now", built / request.param / "later"


def test_the_index_states_the_epoch_and_how_fast_each_cell_spreads(universes):
    now, later = Universe(universes[0]), Universe(universes[1])
    assert now.index["epoch"] == 1991.25 and later.index["epoch"] == LATER
    assert now.index["units"]["velocity"] == "pc/kyr"
    assert all(entry["max_speed_pc_kyr"] > 0 for entry in now.cells)


def test_drawing_at_an_epoch_puts_the_stars_where_building_there_does(universes):
    """Straight lines from the cell files' velocities against pmsafe at ingest, 20 kyr on: the same stars (by source_id),
    within 1e-3 of how far each moved; and each moved star inside its cell's grown bounding sphere (so culling keeps it)."""
    now = Universe(universes[0], epoch=LATER)
    ids, drawn = [], []
    for entry in now.cells:
        ids.append(pq.read_table(universes[0] / entry["file"], columns=["source_id"]).column("source_id").to_numpy())
        cell = now.read(entry)
        drawn.append(cell.positions)
        assert np.all(np.linalg.norm(cell.positions - np.asarray(entry["centre_pc"]), axis=1) <= entry["radius_pc"] * (1 + 1e-9))
    order = np.argsort(np.concatenate(ids))
    drawn = np.concatenate(drawn)[order]
    start_ids, start, _ = star_positions(universes[0])
    later_ids, built, _ = star_positions(universes[1])
    assert np.array_equal(start_ids, later_ids)
    moved = np.linalg.norm(built - start, axis=1)
    good = moved < 50.0  # stars with sound parallaxes (a bad parallax can turn a proper motion into an absurd speed)
    assert good.mean() > 0.95 and np.median(moved) > 0.2
    assert np.all(np.linalg.norm(drawn - built, axis=1)[good] <= 1e-3 * moved[good] + 1e-6)


def test_velocities_turn_with_the_frame(built):
    """The galactic-frame velocities are the ICRS ones turned: the same speeds, the same angle to the line of sight."""
    def speed_and_cosine(frame):
        _, xyz, velocity = star_positions(built / frame / "now")
        speed = np.linalg.norm(velocity, axis=1)
        return speed, np.sum(xyz * velocity, axis=1) / np.linalg.norm(xyz, axis=1) / np.maximum(speed, 1e-30)

    (speed, cosine), (speed_galactic, cosine_galactic) = speed_and_cosine("icrs"), speed_and_cosine("galactic")
    assert np.allclose(speed, speed_galactic, rtol=1e-6) and np.allclose(cosine, cosine_galactic, atol=1e-5)
    _, _, velocity = star_positions(built / "icrs" / "now")
    _, _, velocity_galactic = star_positions(built / "galactic" / "now")
    assert not np.allclose(velocity, velocity_galactic, atol=1e-3)  # turned, not copied
