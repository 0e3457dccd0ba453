"""helios validate's pack round trip of a shard (helios.validate.check_shard): cell by cell, never every block at once."""

import json
import tracemalloc

import numpy as np
import pytest

from helios.build import build
from helios.grid import Grid
from helios.ingest import IngestOptions
from helios.pack import PackBlock, PackCell, PackReader, write_pack
from helios.pack.shards import pack_universe
from helios.validate import check_shard


@pytest.fixture(scope="module")
def universe(tmp_path_factory):
    """400,000 synthetic stars in about 270 cells (the largest about 2 % of the stars), and its points pack (11 MB)."""
    root = tmp_path_factory.mktemp("validate_pack")
    build([{"kind": "synthetic", "stars": 400_000, "seed": 1}], root / "universe", IngestOptions(),
          Grid(n_shells=16, n_theta=12, n_phi=6))
    pack_universe(root / "universe", root / "pack")
    return root


def check(pack_dir, universe):
    """The shard's pack round trip (the universe is one shard)."""
    result = check_shard(pack_dir, "shard-0000", universe, None)
    [item] = [item for item in result["checks"] if item["name"] == "pack round trip"]
    return item


def test_the_round_trip_holds_one_cell_at_a_time(universe):
    pack = universe / "pack" / "shard-0000.pack.bin"
    largest = max(c["star_count"] for c in json.loads((universe / "universe" / "index.json").read_text())["cells"])
    tracemalloc.start()
    try:
        item = check(universe / "pack", universe / "universe")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert item["ok"], item
    size = pack.stat().st_size
    assert largest * 28 < size / 20  # a cell's blocks are a small part of the pack
    # Holding the pack's blocks (the re-encoded ones, or the file) takes more than the pack's size (25 MiB measured
    # before 2026-12-04); one cell at a time, the directory and the largest cell's arrays: 3.7 MiB.
    assert peak < size / 2, f"peak {peak / 2**20:.2f} MiB for a {size / 2**20:.2f} MiB pack"


def test_a_changed_star_or_a_missing_cell_still_fails(universe, tmp_path):
    reader = PackReader(universe / "pack" / "shard-0000.pack.bin")
    ids = list(reader.cells)
    cells = []
    for cell_id, entry in reader.cells.items():
        blocks = []
        for block in entry["blocks"]:
            data = reader.read_block(cell_id, block)
            if cell_id == ids[5] and block["kind"] == "points":
                data = (np.frombuffer(data[:4], "<f4") + 1).astype("<f4").tobytes() + data[4:]
            blocks.append(PackBlock(block["kind"], block["count"], data))
        cells.append(PackCell(cell_id, entry["centre_pc"], entry["radius_pc"], entry["stars"], blocks))
    (tmp_path / "pack").mkdir()
    for name in ("index.json", "shard-0000.json"):
        (tmp_path / "pack" / name).write_bytes((universe / "pack" / name).read_bytes())
    write_pack(tmp_path / "pack" / "shard-0000.pack.bin", cells, reader.directory["meta"])
    item = check(tmp_path / "pack", universe / "universe")
    assert not item["ok"] and f"cell {ids[5]}: blocks ['points', 'velocities', 'ids'] differ from the encoded sources (3 expected)" in item["detail"]
    write_pack(tmp_path / "pack" / "shard-0000.pack.bin", cells[:-1], reader.directory["meta"])
    item = check(tmp_path / "pack", universe / "universe")
    differ = f"the pack's cells differ from the universe's ({len(ids) - 1} in its file, {len(ids)} in the pack index"
    assert not item["ok"] and differ in item["detail"]
