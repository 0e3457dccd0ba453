"""Sharded packs (helios/pack/shards.py): a pack file per shard and the pack index, read back by helios.pack and by
the client's pack.js, and checked shard by shard (helios.validate.check_shard)."""

import json
import shutil

import numpy as np
import pytest

from helios.build import build
from helios.grid import Grid
from helios.pack import PackReader
from helios.pack.shards import magnitude_steps, pack_universe, read_pack_index
from helios.validate import check_shard
from tests.client.node import run_script


@pytest.fixture(scope="module")
def sharded(tmp_path_factory):
    """A synthetic Milky Way cut into cells of at most 3,000 stars, in shards of at most 12,000, packed."""
    root = tmp_path_factory.mktemp("sharded")
    build([{"kind": "synthetic", "stars": 40_000, "seed": 5, "model": "milky-way", "part": part, "parts": 3} for part in range(3)],
          root / "universe", grid=Grid(max_stars=3000), shard_rows=12_000)
    index = pack_universe(root / "universe", root / "pack")
    return root, index


def test_a_pack_file_per_shard_and_an_index_of_every_cell(sharded):
    root, index = sharded
    universe = json.loads((root / "universe" / "index.json").read_text())
    assert len(universe["shards"]) >= 4 and max(c["star_count"] for c in universe["cells"]) <= 3000
    assert [s["id"] for s in index["shards"]] == [s["id"] for s in universe["shards"]]
    assert [c["id"] for c in index["cells"]] == [c["id"] for c in universe["cells"]]
    assert read_pack_index(root / "pack" / "index.json") == index
    for number, shard in enumerate(index["shards"]):
        reader = PackReader(root / "pack" / shard["file"])
        reader.verify()
        assert reader.size == shard["bytes"] and reader.directory_end - 128 == shard["directory_bytes"]
        mine = [c for c in index["cells"] if c["shard"] == number]
        assert len(mine) == shard["cells"] == len(reader.cells)
        bounds = {c["id"]: c["bounds"] for c in universe["cells"]}
        for cell in mine:
            assert cell["bounds"] == bounds[cell["id"]]
            stored = {k: v for k, v in cell.items() if k not in ("shard", "magnitudes", "max_speed_pc_kyr", "bounds")}
            assert stored == reader.cells[cell["id"]]
            _, abs_mag, _ = reader.points(cell["id"])
            stars = len(abs_mag)
            steps = [2**k - 1 for k in range(stars.bit_length()) if 2**k - 1 < stars - 1] + [stars - 1]
            assert cell["magnitudes"] == [float(np.float16(abs_mag[i])) for i in steps]


def test_magnitude_steps():
    records = np.zeros(5, dtype=[("xyz", "<f4", 3), ("mag", "<f2"), ("colour", "<u2")])
    records["mag"] = [0.5, 1.0, 2.0, 3.0, 4.0]
    assert magnitude_steps(records.tobytes()) == [0.5, 1.0, 3.0, 4.0]  # stars 1, 2, 4 and the last
    assert magnitude_steps(records[:1].tobytes()) == [0.5] and magnitude_steps(b"") == []


def test_the_client_reads_the_sharded_pack_as_python_does(sharded):
    root, index = sharded
    [outcome] = run_script("read_pack_index.mjs", str(root / "pack" / "index.json"), "-1", "3", "30")
    assert "ok" in outcome, outcome
    cells = outcome["ok"]["cells"]
    assert set(cells) == {c["id"] for c in index["cells"]}
    for cell in index["cells"]:
        shard = index["shards"][cell["shard"]]
        _, abs_mag, _ = PackReader(root / "pack" / shard["file"]).points(cell["id"])
        js = cells[cell["id"]]
        assert js["file"].endswith("/" + shard["file"])
        assert np.array_equal(np.asarray(js["absMag"], dtype=np.float32), abs_mag.astype(np.float32))
        for faintest, count in zip((-1.0, 3.0, 30.0), js["prefix"]):
            needed = int((abs_mag <= faintest).sum())  # brightest first: the stars that may show are a prefix
            assert needed <= count <= max(2 * needed, 1) or count == cell["stars"], (cell["id"], faintest, needed, count)
            assert count == cell["stars"] or abs_mag[count] > faintest


def test_the_client_refuses_a_damaged_index_or_shard(sharded, tmp_path):
    root, _ = sharded
    copy = tmp_path / "pack"
    shutil.copytree(root / "pack", copy)
    index = json.loads((copy / "index.json").read_text())
    index["cells"][3]["blocks"][0]["offset"] += 64
    (copy / "index.json").write_text(json.dumps(index))
    [outcome] = run_script("read_pack_index.mjs", str(copy / "index.json"))
    assert "error" in outcome and "shard-" in outcome["error"], outcome
    index = json.loads((root / "pack" / "index.json").read_text())
    index["cells"][2]["bounds"]["r_max_pc"] = index["cells"][2]["bounds"]["r_min_pc"] - 1
    (copy / "index.json").write_text(json.dumps(index))
    [outcome] = run_script("read_pack_index.mjs", str(copy / "index.json"))
    assert "error" in outcome and index["cells"][2]["id"] in outcome["error"] and "bounds" in outcome["error"], outcome
    shutil.copy(root / "pack" / "index.json", copy / "index.json")
    data = bytearray((copy / "shard-0001.pack.bin").read_bytes())
    data[-5] ^= 0xFF
    (copy / "shard-0001.pack.bin").write_bytes(bytes(data))
    [outcome] = run_script("read_pack_index.mjs", str(copy / "index.json"))
    assert "error" in outcome and "shard-0001.pack.bin" in outcome["error"] and "SHA-256" in outcome["error"], outcome


def test_a_shard_is_checked_against_its_sources_and_the_index(sharded, tmp_path):
    root, index = sharded
    for shard in index["shards"]:
        result = check_shard(root / "pack", shard["id"], root / "universe", None)
        assert result["ok"] and result["pack_bytes"] == shard["bytes"], result
    copy = tmp_path / "pack"
    shutil.copytree(root / "pack", copy)
    damaged = json.loads((copy / "index.json").read_text())
    damaged["cells"][0]["magnitudes"][-1] += 0.5  # an index that says the faintest star is fainter than it is
    (copy / "index.json").write_text(json.dumps(damaged))
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and "pack index's entry differs" in json.dumps(result["checks"])
    damaged = json.loads((root / "pack" / "index.json").read_text())
    damaged["cells"][0]["bounds"]["r_min_pc"] += 1.0  # a cell said farther than it is: a client would miss its stars
    (copy / "index.json").write_text(json.dumps(damaged))
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and f"cell {damaged['cells'][0]['id']}: the pack index's entry differs" in json.dumps(result["checks"])
    shutil.copy(root / "pack" / "index.json", copy / "index.json")
    (copy / "shard-0002.pack.bin").write_bytes((copy / "shard-0001.pack.bin").read_bytes())  # a shard's file swapped
    result = check_shard(copy, "shard-0002", root / "universe", None)
    assert not result["ok"]
