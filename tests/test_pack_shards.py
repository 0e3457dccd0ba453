"""Sharded packs (helios/pack/shards.py): a pack file per shard and the pack index, read back by helios.pack and by
the client's pack.js, and checked shard by shard (helios.validate.check_shard)."""

import hashlib
import json
import shutil

import numpy as np
import pytest

from helios.build import build
from helios.cameras import pinhole
from helios.grid import Grid
from helios.pack import PackReader
from helios.pack.shards import magnitude_steps, pack_cells, pack_universe, read_pack_index
from helios.universe import Universe
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


def test_a_pack_file_per_shard_its_entries_and_a_small_index(sharded):
    root, index = sharded
    universe = json.loads((root / "universe" / "index.json").read_text())
    assert len(universe["shards"]) >= 4 and max(c["star_count"] for c in universe["cells"]) <= 3000
    assert [s["id"] for s in index["shards"]] == [s["id"] for s in universe["shards"]]
    assert "cells" not in index and read_pack_index(root / "pack" / "index.json") == index
    index_again, cells = pack_cells(root / "pack" / "index.json")
    assert index_again == index and [c["id"] for c in cells] == [c["id"] for c in universe["cells"]]
    bounds = {c["id"]: c["bounds"] for c in universe["cells"]}
    for number, shard in enumerate(index["shards"]):
        reader = PackReader(root / "pack" / shard["file"])
        reader.verify()
        assert reader.size == shard["bytes"] and reader.directory_end - 128 == shard["directory_bytes"]
        mine = [c for c in cells if c["shard"] == number]
        assert len(mine) == shard["cells"] == len(reader.cells) and shard["stars"] == sum(c["stars"] for c in mine)
        for cell in mine:
            assert cell["bounds"] == bounds[cell["id"]]
            stored = {k: v for k, v in cell.items() if k not in ("shard", "magnitudes", "max_speed_pc_kyr", "bounds")}
            assert stored == reader.cells[cell["id"]]
            _, abs_mag, _ = reader.points(cell["id"])
            stars = len(abs_mag)
            steps = [2**k - 1 for k in range(stars.bit_length()) if 2**k - 1 < stars - 1] + [stars - 1]
            assert cell["magnitudes"] == [float(np.float16(abs_mag[i])) for i in steps]
            # The shard's summary holds each of its cells: a client that skips a shard by it skips none it needs.
            assert np.linalg.norm(np.subtract(cell["centre_pc"], shard["centre_pc"])) + cell["radius_pc"] <= shard["radius_pc"] * (1 + 1e-12)
            assert shard["r_min_pc"] <= cell["bounds"]["r_min_pc"] and shard["brightest_abs_mag"] <= min(abs_mag)
            assert shard["r_max_pc"] is None or cell["bounds"]["r_max_pc"] <= shard["r_max_pc"]
            assert cell["max_speed_pc_kyr"] <= shard["max_speed_pc_kyr"]


def rewrite_entries(pack, number, change):
    """Change shard ``number``'s entries document in ``pack`` (a copy) and state it in the index, as a bad writer would."""
    index = json.loads((pack / "index.json").read_text())
    shard = index["shards"][number]
    document = json.loads((pack / shard["entries"]).read_text())
    change(document["cells"])
    data = json.dumps(document).encode()
    (pack / shard["entries"]).write_bytes(data)
    shard.update(entries_bytes=len(data), entries_sha256=hashlib.sha256(data).hexdigest())
    (pack / "index.json").write_text(json.dumps(index))
    return document["cells"]


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
    _, entries = pack_cells(root / "pack" / "index.json")
    assert set(cells) == {c["id"] for c in entries}
    for cell in entries:
        shard = index["shards"][cell["shard"]]
        _, abs_mag, _ = PackReader(root / "pack" / shard["file"]).points(cell["id"])
        js = cells[cell["id"]]
        assert js["file"].endswith("/" + shard["file"])
        assert np.array_equal(np.asarray(js["absMag"], dtype=np.float32), abs_mag.astype(np.float32))
        for faintest, count in zip((-1.0, 3.0, 30.0), js["prefix"]):
            needed = int((abs_mag <= faintest).sum())  # brightest first: the stars that may show are a prefix
            assert needed <= count <= max(2 * needed, 1) or count == cell["stars"], (cell["id"], faintest, needed, count)
            assert count == cell["stars"] or abs_mag[count] > faintest


def test_the_client_refuses_a_damaged_index_entries_or_shard(sharded, tmp_path):
    root, _ = sharded
    copy = tmp_path / "pack"

    def outcome_of(damage):
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(root / "pack", copy)
        damage()
        [outcome] = run_script("read_pack_index.mjs", str(copy / "index.json"))
        assert "error" in outcome, outcome
        return outcome["error"]

    def move_a_block():
        rewrite_entries(copy, 1, lambda cells: cells[0]["blocks"][0].update(offset=cells[0]["blocks"][0]["offset"] + 64))
    assert "shard-0001.pack.bin" in outcome_of(move_a_block)

    def bad_bounds():
        rewrite_entries(copy, 2, lambda cells: cells[1]["bounds"].update(r_max_pc=cells[1]["bounds"]["r_min_pc"] - 1))
    message = outcome_of(bad_bounds)
    assert "shard-0002.json" in message and "bounds" in message, message

    def entries_not_the_indexed():
        path = copy / "shard-0000.json"
        path.write_text(path.read_text().replace('"stars": ', '"stars":  ', 1))
    assert "shard-0000.json" in outcome_of(entries_not_the_indexed) and "SHA-256" in outcome_of(entries_not_the_indexed)

    def flip_a_byte():
        data = bytearray((copy / "shard-0001.pack.bin").read_bytes())
        data[-5] ^= 0xFF
        (copy / "shard-0001.pack.bin").write_bytes(bytes(data))
    message = outcome_of(flip_a_byte)
    assert "shard-0001.pack.bin" in message and "SHA-256" in message, message


def test_a_shard_is_checked_against_its_sources_and_the_index(sharded, tmp_path):
    root, index = sharded
    for shard in index["shards"]:
        result = check_shard(root / "pack", shard["id"], root / "universe", None)
        assert result["ok"] and result["pack_bytes"] == shard["bytes"], result
    copy = tmp_path / "pack"
    shutil.copytree(root / "pack", copy)
    # Entries that say a cell's faintest star is fainter than it is, or the cell farther than it is (a client would
    # miss its stars): each named.
    cells = rewrite_entries(copy, 0, lambda cells: cells[0]["magnitudes"].__setitem__(-1, cells[0]["magnitudes"][-1] + 0.5))
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and f"cell {cells[0]['id']}: the pack index's entry differs" in json.dumps(result["checks"])
    shutil.copytree(root / "pack", copy, dirs_exist_ok=True)
    cells = rewrite_entries(copy, 0, lambda cells: cells[1]["bounds"].update(r_min_pc=cells[1]["bounds"]["r_min_pc"] + 1.0))
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and f"cell {cells[1]['id']}: the pack index's entry differs" in json.dumps(result["checks"])
    # A summary that would let a client skip the shard's brightest star; entries that are not the ones indexed.
    shutil.copytree(root / "pack", copy, dirs_exist_ok=True)
    damaged = json.loads((copy / "index.json").read_text())
    damaged["shards"][0]["brightest_abs_mag"] += 0.5
    (copy / "index.json").write_text(json.dumps(damaged))
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and "summary" in json.dumps(result["checks"])
    shutil.copytree(root / "pack", copy, dirs_exist_ok=True)
    (copy / "shard-0000.json").write_text((copy / "shard-0000.json").read_text() + " ")
    result = check_shard(copy, index["shards"][0]["id"], root / "universe", None)
    assert not result["ok"] and "not the entries the pack index" in json.dumps(result["checks"])
    shutil.copy(root / "pack" / "index.json", copy / "index.json")
    (copy / "shard-0002.pack.bin").write_bytes((copy / "shard-0001.pack.bin").read_bytes())  # a shard's file swapped
    result = check_shard(copy, "shard-0002", root / "universe", None)
    assert not result["ok"]


def test_the_client_asks_for_every_shard_it_can_see_and_not_the_others(tmp_path):
    """Streamer.shardsWanted against the stars: every shard holding a star in view that shows from where it is (the
    limit plus the client's margin) is asked for, and not every shard every time."""
    root = tmp_path
    build([{"kind": "synthetic", "stars": 40_000, "seed": 5, "model": "milky-way", "part": part, "parts": 3} for part in range(3)],
          root / "universe", grid=Grid(max_stars=1000), shard_rows=3000)
    index = pack_universe(root / "universe", root / "pack")
    assert len(index["shards"]) >= 12
    universe = Universe(root / "universe")
    cameras = []
    rng = np.random.default_rng(3)
    for _ in range(12):
        eye = rng.normal(size=3) * rng.choice([0.0, 50.0, 2000.0])
        cameras.append({"eye": eye.tolist(), "target": (eye + rng.normal(size=3)).tolist(), "fov": float(rng.choice([20.0, 60.0])),
                        "width": 320, "height": 180, "kyr": 0, "limitingMag": float(rng.choice([6.5, 12.0]))})
    [wanted] = run_script("shards_wanted.mjs", str(root / "pack" / "index.json"), stdin=json.dumps(cameras))
    shard_of = {cell["id"]: cell["shard"] for cell in universe.cells}
    pruned = 0
    for camera, asked in zip(cameras, wanted, strict=True):
        eye = np.asarray(camera["eye"])
        views = pinhole(eye, np.asarray(camera["target"]), camera["fov"], camera["width"], camera["height"])
        needed = set()
        for entry in universe.cells_in_view(views):
            stars = universe.read(entry)
            distance = np.maximum(np.linalg.norm(stars.positions - eye, axis=1), 1e-6)
            if (stars.abs_mag + 5 * np.log10(distance / 10) <= camera["limitingMag"] + 4).any():
                needed.add(shard_of[entry["id"]])
        assert needed <= set(asked), (camera, sorted(needed - set(asked)))
        pruned += len(index["shards"]) - len(asked)
    assert pruned > 0, "some shard is left out somewhere"
