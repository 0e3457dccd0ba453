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
        summary_path=root / "ingest_summary.json", cells_dir=root / "cells", index_path=root / "index.json", **kwargs,
    )
    return root, index


def all_stars(root, index) -> pd.DataFrame:
    """Every star of a universe, read from its cell files through the index (cells in index order)."""
    return pd.concat([pd.read_parquet(root / entry["file"]) for entry in index["cells"]], ignore_index=True)


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
    stars = all_stars(root, index)
    summary = json.loads((root / "ingest_summary.json").read_text())
    assert len(stars) == index["star_count"] == summary["rows_kept"] == 20_000
    assert len(set(stars["source_id"])) == len(stars)
    assert sum(c["star_count"] for c in index["cells"]) == len(stars)
    assert index["cell_count"] == len(index["cells"]) == len(list((root / "cells").rglob("*.parquet")))
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
    assert index["format"] == "helios-universe" and index["version"] == 3 and index["epoch"] == 2016.0
    assert index["units"]["position"] == "pc" and index["frame"] == "icrs"
    assert set(index["grid"]) == {"r0_pc", "base", "n_shells", "n_theta", "n_phi", "polar_spacing", "frame", "max_stars", "max_depth"}
    assert [s["id"] for s in index["shards"]] == ["shard-0000"] and all(c["depth"] == 0 for c in index["cells"])
    assert read_index(root / "index.json") == index


def test_cells_over_the_bound_split_and_shards_give_the_same_cells(synthetic_universe, tmp_path):
    """The same stars with a bound that splits cells, in one shard and in many: the same cells, byte for byte."""
    tmp, root, index = synthetic_universe
    grid = Grid.from_mapping({**index["grid"], "max_stars": 700})
    one, one_index = build(tmp_path, [tmp / "s.arrow"], [tmp / "s.json"], grid, out="one")
    many, many_index = build(tmp_path, [tmp / "s.arrow"], [tmp / "s.json"], grid, out="many", shard_rows=2000)
    counts = [c["star_count"] for c in one_index["cells"]]
    assert max(counts) <= 700 < max(c["star_count"] for c in index["cells"])
    assert sum(counts) == 20_000 and max(c["depth"] for c in one_index["cells"]) >= 1
    assert len(many_index["shards"]) >= 10 and all(s["star_count"] <= 2000 for s in many_index["shards"])
    assert [c["id"] for c in many_index["cells"]] == [c["id"] for c in one_index["cells"]]
    for a, b in zip(one_index["cells"], many_index["cells"]):
        assert a["sha256"] == b["sha256"] and (one / a["file"]).read_bytes() == (many / b["file"]).read_bytes()
        assert b["file"] == f"cells/{b['shard']}/{b['id']}.parquet"
    # a split cell's children hold its stars, each inside its own bounding sphere
    split_roots = {c["id"].split("-")[0] for c in one_index["cells"] if c["depth"]}
    for root_id in split_roots:
        parent = next(c for c in index["cells"] if c["id"] == root_id)
        children = [c for c in one_index["cells"] if c["id"].split("-")[0] == root_id]
        assert sum(c["star_count"] for c in children) == parent["star_count"]
        for child in children:
            xyz = pd.read_parquet(one / child["file"], columns=["x_pc", "y_pc", "z_pc"]).to_numpy()
            assert (np.linalg.norm(xyz - child["centre_pc"], axis=1) <= child["radius_pc"]).all()
            assert child["radius_pc"] < parent["radius_pc"]


def test_a_region_too_dense_to_split_is_a_clear_error(tmp_path):
    rows = [[i, 10.0, 10.0, 10.0, 0.1, 5.0, 1.0] for i in range(300)]  # 300 stars at one point
    parts, tallies = make_parts(tmp_path, [archive_csv(tmp_path / "same.csv", COLUMNS, rows, gz=True)])
    with pytest.raises(HeliosError, match=r"cell \d+_\d+_\d+-[0-7]{3} holds 300 stars, more than grid.max_stars \(100\)"):
        build(tmp_path, parts, tallies, Grid(max_stars=100, max_depth=3))
    assert not (tmp_path / "u").exists() or sorted(p.name for p in (tmp_path / "u").iterdir()) == []


def test_limit_is_exact_across_files(tmp_path):
    rng = np.random.default_rng(4)
    files = []
    for f in range(3):
        mags = rng.integers(0, 8, 200)  # many ties
        rows = [[f * 1000 + i, rng.uniform(0, 360), rng.uniform(-80, 80), 10.0, 0.1, m, 1.0] for i, m in enumerate(mags)]
        files.append(archive_csv(tmp_path / f"f{f}.csv", COLUMNS, rows))
    parts, tallies = make_parts(tmp_path, files, IngestOptions(limit=150))
    root, index = build(tmp_path, parts, tallies, limit=150)
    kept = set(all_stars(root, index)["source_id"])
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
    assert not (tmp_path / "u").exists() or sorted(p.name for p in (tmp_path / "u").iterdir()) == []


def test_galactic_frame_cells_hold_galactic_coordinates(tmp_path):
    ingest_synthetic(2000, 3, tmp_path / "s.arrow", tmp_path / "s.json")
    root, index = build(tmp_path, [tmp_path / "s.arrow"], [tmp_path / "s.json"], Grid(frame="galactic"))
    icrs_root, icrs_index = build(tmp_path, [tmp_path / "s.arrow"], [tmp_path / "s.json"], Grid(), out="icrs")
    stars = all_stars(icrs_root, icrs_index).set_index(["file_index", "line"])
    entry = max(index["cells"], key=lambda c: c["star_count"])
    cell = pd.read_parquet(root / entry["file"]).set_index(["file_index", "line"])
    icrs = stars.loc[cell.index, ["x_pc", "y_pc", "z_pc"]].to_numpy()
    from helios.astro import ICRS_TO_GALACTIC

    assert np.allclose(cell[["x_pc", "y_pc", "z_pc"]].to_numpy(), icrs @ ICRS_TO_GALACTIC.T)
    assert pq.read_schema(root / entry["file"]).metadata[b"helios.frame"] == b"galactic"


def test_cells_dir_must_sit_beside_index(tmp_path):
    ingest_synthetic(100, 3, tmp_path / "s.arrow", tmp_path / "s.json")
    with pytest.raises(HeliosError, match="must be the 'cells' directory beside"):
        build_universe([tmp_path / "s.arrow"], [tmp_path / "s.json"], Grid(),
                       summary_path=tmp_path / "x.json", cells_dir=tmp_path / "a" / "cells", index_path=tmp_path / "b" / "index.json")


def test_read_index_errors(tmp_path):
    with pytest.raises(HeliosError, match="no universe index here"):
        read_index(tmp_path / "index.json")
    (tmp_path / "index.json").write_text('{"format": "other"}')
    with pytest.raises(HeliosError, match="not a HELIOS universe index"):
        read_index(tmp_path / "index.json")


def test_a_clump_denser_than_the_first_pass_is_planned_from_its_full_keys(tmp_path):
    """2,000 stars within about 0.02 pc at 10 pc: the plan's first pass (5 levels) leaves their node over the bound, the
    second splits it deeper; the leaves are those one pass over every full key would give."""
    from helios.cell_tree import count_keys, fine_keys, plan_leaves

    rng = np.random.default_rng(9)
    n = 2000
    rows = [[i + 1, 10 + rng.normal(0, 0.1), 10 + rng.normal(0, 0.1), 100 + rng.normal(0, 0.2), 0.1, 8.0, 1.0] for i in range(n)]
    parts, tallies = make_parts(tmp_path, [archive_csv(tmp_path / "clump.csv", COLUMNS, rows)])
    grid = Grid(max_stars=300, max_depth=10)
    root, index = build(tmp_path, parts, tallies, grid)
    depths = [c["depth"] for c in index["cells"]]
    assert max(depths) > 5 and max(c["star_count"] for c in index["cells"]) <= 300
    xyz = all_stars(root, index)[["x_pc", "y_pc", "z_pc"]].to_numpy()
    one_pass, _ = plan_leaves(grid, *count_keys(fine_keys(grid, xyz)))
    assert [c["id"] for c in index["cells"]] == [node.id(grid) for node, _ in one_pass]
    assert [c["star_count"] for c in index["cells"]] == [stars for _, stars in one_pass]


def test_a_killed_builds_scratch_is_removed_and_a_users_folder_kept(tmp_path):
    """build_universe removes what a killed build left beside the cells (.helios-partition-XXXXXXXX, tempfile's
    name) and nothing else: a user's folders beside it, one named like HELIOS's but not of its shape, keep their files."""
    ingest_synthetic(500, 3, tmp_path / "s.arrow", tmp_path / "s.json")
    root = tmp_path / "u"
    stale = root / ".helios-partition-a1b2c3d4"
    for folder in (stale, root / "mine", root / ".helios-partition-backup"):
        folder.mkdir(parents=True)
        (folder / "notes.txt").write_text("kept?")
    build(tmp_path, [tmp_path / "s.arrow"], [tmp_path / "s.json"])
    assert not stale.exists()
    assert (root / "mine" / "notes.txt").read_text() == "kept?"
    assert (root / ".helios-partition-backup" / "notes.txt").read_text() == "kept?"
