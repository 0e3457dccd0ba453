"""A sharded pack: one pack file (format v3) per shard of the universe, and the pack index that lists every
cell with its blocks and where they are (``docs/pack-format.md``, "Sharded packs").

Each shard's file is written by its own job and holds one shard's cells (what the partition's reduce made), so
writing, checking and serving hold one shard at a time.  The index gathers the shards' directories: a client
reads it first and then fetches byte ranges of the shard files.  Each cell's entry adds ``magnitudes``, the
absolute magnitude (as stored) of its stars number 1, 2, 4, 8, ... and its last: a client that can see stars
down to absolute magnitude M from the cell's nearest point fetches only the stars before the first entry
fainter than M (at most twice the stars it needs, in one byte range from the start of the points block), and
``bounds``, the cell's extent in the grid (radii and angles), from which a client finds the cell's nearest point.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import load_document, sha256_file, write_json
from helios.pack.assembly import iter_pack_cells, pack_meta
from helios.pack.format import DIRECTORY_FORMAT, HEADER_SIZE, PackCell, PackReader, write_pack
from helios.pack.records import RECORD_BYTES, SPLAT_FIELDS
from helios.partition import read_index
from helios.universe import read_trained_index

INDEX_FORMAT = "helios-pack-index"
INDEX_VERSION = 1
SHARD_FORMAT = "helios-pack-shard"
INDEX_FILE = "index.json"


def shard_file(shard: str) -> str:
    return f"{shard}.pack.bin"


def magnitude_steps(points: bytes) -> list[float]:
    """The stored absolute magnitudes of stars 1, 2, 4, 8, ... and the last, from a points block."""
    magnitudes = np.frombuffer(points, dtype=np.dtype([("xyz", "<f4", 3), ("mag", "<f2"), ("colour", "<u2")]))["mag"]
    if not len(magnitudes):
        return []
    steps = [(1 << k) - 1 for k in range(int(len(magnitudes)).bit_length()) if (1 << k) - 1 < len(magnitudes) - 1]
    return [float(magnitudes[i]) for i in (*steps, len(magnitudes) - 1)]


def write_shard(universe_dir: str | Path, shard: str, trained_dir: str | Path | None, output_dir: str | Path,
                encoding: str = "f32", trained_index_path: str | Path | None = None) -> dict[str, Any]:
    """Pack one shard's cells into ``output_dir/SHARD.pack.bin`` and write their index entries to
    ``output_dir/SHARD.json``; returns that document."""
    universe_dir, output_dir = Path(universe_dir), Path(output_dir)
    universe = read_index(universe_dir / "index.json")
    mine = [cell for cell in universe["cells"] if cell["shard"] == shard]
    if not mine:
        raise HeliosError(f"{universe_dir / 'index.json'}: no cells in shard {shard!r}")
    trained = read_trained_index(trained_index_path or Path(trained_dir) / "index.json") if trained_dir is not None else None
    steps: dict[str, list[float]] = {}

    def cells() -> list[PackCell]:
        out = []
        for cell in iter_pack_cells(universe_dir, trained, trained_dir, encoding, cells=mine):
            steps[cell.id] = magnitude_steps(next(block.data for block in cell.blocks if block.kind == "points"))
            out.append(cell)
        return out

    pack_path = output_dir / shard_file(shard)
    directory = write_pack(pack_path, cells(), pack_meta(universe, trained))
    universe_cells = {cell["id"]: cell for cell in mine}
    document = {
        "format": SHARD_FORMAT,
        "shard": shard,
        "file": shard_file(shard),
        "bytes": pack_path.stat().st_size,
        "sha256": sha256_file(pack_path),
        "directory_bytes": PackReader(pack_path).directory_end - HEADER_SIZE,
        "cells": [{**cell, "bounds": universe_cells[cell["id"]]["bounds"], "max_speed_pc_kyr": universe_cells[cell["id"]]["max_speed_pc_kyr"],
                   "magnitudes": steps[cell["id"]]} for cell in directory["cells"]],
    }
    write_json(output_dir / f"{shard}.json", document)
    return document


def write_index(shard_documents: Sequence[str | Path], universe_dir: str | Path, output: str | Path,
                trained_index_path: str | Path | None = None) -> dict[str, Any]:
    """The pack index from every shard's document (in the universe's shard order)."""
    universe = read_index(Path(universe_dir) / "index.json")
    trained = read_trained_index(trained_index_path) if trained_index_path is not None else None
    shards, cells = [], []
    for number, path in enumerate(shard_documents):
        document = load_document(path, "pack shard's entries", SHARD_FORMAT, remedy="rerun the pack_shard step")
        shards.append({key: document[key] for key in ("file", "bytes", "sha256", "directory_bytes")} | {"id": document["shard"],
                                                                                                      "cells": len(document["cells"])})
        cells += [{**cell, "shard": number} for cell in document["cells"]]
    expected = [shard["id"] for shard in universe["shards"]]
    if [shard["id"] for shard in shards] != expected or [cell["id"] for cell in cells] != [c["id"] for c in universe["cells"]]:
        raise HeliosError(f"the pack's shards are not the universe's ({len(shards)} of {len(expected)}); rerun the pack steps")
    index = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "directory_format": DIRECTORY_FORMAT, "record_bytes": RECORD_BYTES,
             "fields": {"splats": list(SPLAT_FIELDS)}, "meta": pack_meta(universe, trained), "shards": shards, "cells": cells}
    write_json(output, index)
    return index


def read_pack_index(path: str | Path) -> dict[str, Any]:
    return load_document(path, "pack index", INDEX_FORMAT, INDEX_VERSION, remedy="repack (helios pack, or the workflow's pack rules)")


def pack_universe(universe_dir: str | Path, output_dir: str | Path, trained_dir: str | Path | None = None,
                  encoding: str = "f32") -> dict[str, Any]:
    """``helios pack``: every shard of a universe (with what was trained for it, when ``trained_dir`` has it) into
    ``output_dir`` (one pack file and its entries per shard, then ``index.json``), one shard at a time."""
    universe_dir, output_dir = Path(universe_dir), Path(output_dir)
    universe = read_index(universe_dir / "index.json")
    output_dir.mkdir(parents=True, exist_ok=True)
    for shard in universe["shards"]:
        write_shard(universe_dir, shard["id"], trained_dir, output_dir, encoding)
    trained_index = Path(trained_dir) / "index.json" if trained_dir is not None else None
    return write_index([output_dir / f"{shard['id']}.json" for shard in universe["shards"]], universe_dir,
                       output_dir / INDEX_FILE, trained_index)


def pack_files(index_path: str | Path) -> list[Path]:
    """The files of a sharded pack: its index and every shard's pack file."""
    index_path = Path(index_path)
    index = read_pack_index(index_path)
    return [index_path, *(index_path.parent / shard["file"] for shard in index["shards"])]
