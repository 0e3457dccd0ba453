import hashlib
import json
import math

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from helios.errors import CatalogError, HeliosError
from helios.grid import Grid
from helios.ingest import IngestOptions, ingest_file, ingest_synthetic
from helios.partition import build_universe, read_index
from tests.conftest import archive_csv

COLUMNS = ["source_id", "ra", "dec", "parallax", "parallax_error", "phot_g_mean_mag", "bp_rp"]


def make_parts(tmp_path, files, options=IngestOptions()):
    parts, tallies = [], []
    for i, path in enumerate(files):
        parts.append(tmp_path / f"p{i}.arrow")
        tallies.append(tmp_path / f"p{i}.json")
        ingest_file(path, parts[-1], tallies[-1], options)
    return parts, tallies


def build(tmp_path, parts, tallies, grid=Grid(), out="u", **kwargs):
    root = tmp_path / out
    index = build_universe(
        parts, tallies, grid,
        stars_path=root / "stars.parquet", summary_path=root / "ingest_summary.json",
        cells_dir=root / "cells", index_path=root / "index.json", **kwargs,
    )
    return root, index


@pytest.fixture(scope="module")
def synthetic_universe(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("syn")
    ingest_synthetic(20_000, 11, tmp / "s.arrow", tmp / "s.json")
    root, index = build(tmp, [tmp / "s.arrow"], [tmp / "s.json"], Grid(base=3.0, n_shells=12, n_theta=8, n_phi=4))
    return tmp, root, index


def independent_cell(ra, dec, d, grid):
    """The HLG rule written out again with plain math, for cross-checking."""
    x = d * math.cos(math.radians(dec)) * math.cos(math.radians(ra))
    y = d * math.cos(math.radians(dec)) * math.sin(math.radians(ra))
    z = d * math.sin(math.radians(dec))
    shell = 0 if d < grid.r0_pc else min(grid.n_shells - 1, 1 + math.floor(math.log(d / grid.r0_pc, grid.base)))
    theta = math.atan2(y, x) % (2 * math.pi)
    t = int(theta / (2 * math.pi) * grid.n_theta) % grid.n_theta
    p = min(grid.n_phi - 1, int((1 - z / d) / 2 * grid.n_phi))
    return f"{shell}_{t}_{p}"


def test_cells_partition_the_stars(synthetic_universe):
    _, root, index = synthetic_universe
    grid = Grid.from_mapping(index["grid"])
    stars = pd.read_parquet(root / "stars.parquet")
    summary = json.loads((root / "ingest_summary.json").read_text())
    assert len(stars) == index["star_count"] == summary["rows_kept"]
    assert sum(c["star_count"] for c in index["cells"]) == len(stars)
    assert index["cell_count"] == len(index["cells"]) == len(list((root / "cells").iterdir()))
    seen = 0
    for entry in index["cells"]:
        path = root / entry["file"]
        assert entry["bytes"] == path.stat().st_size
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        cell = pd.read_parquet(path)
        assert len(cell) == entry["star_count"]
        sample = cell.sample(min(20, len(cell)), random_state=0)
        for row in sample.itertuples():
            assert independent_cell(row.ra, row.dec, row.distance_pc, grid) == entry["id"]
        xyz = cell[["x_pc", "y_pc", "z_pc"]].to_numpy()
        assert (np.linalg.norm(xyz - entry["centre_pc"], axis=1) <= entry["radius_pc"]).all()
        seen += len(cell)
    assert seen == len(stars)


def test_index_is_sorted_and_self_describing(synthetic_universe):
    _, root, index = synthetic_universe
    keys = [(c["l"], c["t"], c["p"]) for c in index["cells"]]
    assert keys == sorted(keys)
    assert index["format"] == "helios-universe" and index["version"] == 2 and index["epoch"] == 2016.0
    assert index["units"]["position"] == "pc" and index["frame"] == "icrs"
    assert set(index["grid"]) == {"r0_pc", "base", "n_shells", "n_theta", "n_phi", "polar_spacing", "frame"}
    assert read_index(root / "index.json") == index


def test_spilling_gives_the_same_bytes(synthetic_universe, tmp_path):
    tmp, root, index = synthetic_universe
    other, other_index = build(tmp_path, [tmp / "s.arrow"], [tmp / "s.json"], Grid.from_mapping(index["grid"]), buffer_rows=1000)
    assert other_index == index
    assert (other / "stars.parquet").read_bytes() == (root / "stars.parquet").read_bytes()
    for entry in index["cells"]:
        assert (other / entry["file"]).read_bytes() == (root / entry["file"]).read_bytes()


def test_limit_is_exact_across_files(tmp_path):
    rng = np.random.default_rng(4)
    files = []
    for f in range(3):
        mags = rng.integers(0, 8, 200)  # many ties
        rows = [[f * 1000 + i, rng.uniform(0, 360), rng.uniform(-80, 80), 10.0, 0.1, m, 1.0] for i, m in enumerate(mags)]
        files.append(archive_csv(tmp_path / f"f{f}.csv", COLUMNS, rows))
    parts, tallies = make_parts(tmp_path, files, IngestOptions(limit=150))
    root, index = build(tmp_path, parts, tallies, limit=150)
    kept = set(pd.read_parquet(root / "stars.parquet")["source_id"])
    everything = pd.concat([pd.read_csv(f).assign(file=i, line=np.arange(2, 202)) for i, f in enumerate(files)])
    expected = set(everything.sort_values(["phot_g_mean_mag", "file", "line"]).head(150)["source_id"])
    assert kept == expected
    summary = json.loads((root / "ingest_summary.json").read_text())
    assert summary["rows_read"] == 600 and summary["rows_kept"] == 150
    assert summary["dropped"] == {"not_among_brightest": 450}
    for entry in summary["files"]:
        assert entry["rows_read"] == entry["rows_kept"] + sum(entry["dropped"].values())


def test_duplicate_source_ids_are_an_error_and_leave_nothing(tmp_path):
    a = archive_csv(tmp_path / "a.csv", COLUMNS, [[1, 10, 10, 10, 0.1, 5, 1], [2, 20, 10, 10, 0.1, 5, 1]])
    b = archive_csv(tmp_path / "b.csv", COLUMNS, [[3, 30, 10, 10, 0.1, 5, 1], [2, 20, 10, 10, 0.1, 5, 1]])
    parts, tallies = make_parts(tmp_path, [a, b])
    with pytest.raises(CatalogError, match=r"source_id 2 appears more than once: .*a\.csv line 3 and .*b\.csv line 3"):
        build(tmp_path, parts, tallies)
    assert sorted(p.name for p in (tmp_path / "u").iterdir()) == []


def test_galactic_frame_cells_hold_galactic_coordinates(tmp_path):
    ingest_synthetic(2000, 3, tmp_path / "s.arrow", tmp_path / "s.json")
    root, index = build(tmp_path, [tmp_path / "s.arrow"], [tmp_path / "s.json"], Grid(frame="galactic"))
    stars = pd.read_parquet(root / "stars.parquet").set_index(["file_index", "line"])
    entry = max(index["cells"], key=lambda c: c["star_count"])
    cell = pd.read_parquet(root / entry["file"]).set_index(["file_index", "line"])
    icrs = stars.loc[cell.index, ["x_pc", "y_pc", "z_pc"]].to_numpy()
    from helios.astro import ICRS_TO_GALACTIC

    assert np.allclose(cell[["x_pc", "y_pc", "z_pc"]].to_numpy(), icrs @ ICRS_TO_GALACTIC.T)
    assert pq.read_schema(root / entry["file"]).metadata[b"helios.frame"] == b"galactic"


def test_cells_dir_must_sit_beside_index(tmp_path):
    ingest_synthetic(100, 3, tmp_path / "s.arrow", tmp_path / "s.json")
    with pytest.raises(HeliosError, match="must sit beside"):
        build_universe([tmp_path / "s.arrow"], [tmp_path / "s.json"], Grid(), stars_path=tmp_path / "x.parquet",
                       summary_path=tmp_path / "x.json", cells_dir=tmp_path / "a" / "cells", index_path=tmp_path / "b" / "index.json")


def test_read_index_errors(tmp_path):
    with pytest.raises(HeliosError, match="no universe index here"):
        read_index(tmp_path / "index.json")
    (tmp_path / "index.json").write_text('{"format": "other"}')
    with pytest.raises(HeliosError, match="not a HELIOS universe index"):
        read_index(tmp_path / "index.json")


def test_a_cell_over_the_bound_is_a_clear_error_before_the_rest_is_read(tmp_path):
    """The issue's input in small: a .gz of one row repeated (33 M times there), all in one cell."""
    rows = [[7, 10.0, 10.0, 10.0, 0.1, 5.0, 1.0]] * 3000
    parts, tallies = make_parts(tmp_path, [archive_csv(tmp_path / "same.csv", COLUMNS, rows, gz=True)])
    with pytest.raises(HeliosError, match=r"cell \d+_\d+_\d+ holds more than 1,000 stars \(reached while reading .*same\.csv\)"
                       r".*--max-mag, --limit"):
        build(tmp_path, parts, tallies, buffer_rows=400, max_cell_rows=1000)
    assert sorted(p.name for p in (tmp_path / "u").iterdir()) == []
    with pytest.raises(CatalogError, match="appears more than once"):  # at the bound the merge goes on to the next check
        build(tmp_path, parts, tallies, out="v", buffer_rows=400, max_cell_rows=3000)
