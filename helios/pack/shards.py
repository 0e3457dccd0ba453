"""A sharded pack: one pack file (format v3) per shard of the universe, each shard's cell entries beside it, and
the pack index that lists the shards (``docs/pack-format.md``, "Sharded packs").

Each shard's file is written by its own job and holds one shard's cells (what the partition's reduce made), so
writing, checking and serving hold one shard at a time.  Its entries document (``SHARD.json``) lists every cell with
its blocks and where they are, and adds ``magnitudes``, the absolute magnitude (as stored) of its stars number 1, 2,
4, 8, ... and its last: a client that can see stars down to absolute magnitude M from the cell's nearest point
fetches only the stars before the first entry fainter than M (at most twice the stars it needs, in one byte range
from the start of the points block), and ``bounds``, the cell's extent in the grid, from which a client finds the
cell's nearest point.  The index is small: per shard its files and a summary (a sphere holding its cells, their
radii from the Sun, the brightest star, the fastest), from which a client tells, without fetching them, whether a
shard's cells can be in view and show a star.  A pack may carry the solar system's minor planets too
(``minor_planets.bin``, :mod:`helios.minor_planets`), which the index lists with its size and SHA-256.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path, load_document, sha256_file, write_json
from helios.pack.assembly import iter_pack_cells, pack_meta
from helios.pack.format import DIRECTORY_FORMAT, HEADER_SIZE, PackCell, PackReader, write_pack
from helios.pack.records import RECORD_BYTES, SPLAT_FIELDS
from helios.partition import read_index
from helios.universe import read_trained_index

INDEX_FORMAT = "helios-pack-index"
INDEX_VERSION = 2
SHARD_FORMAT = "helios-pack-shard"
INDEX_FILE = "index.json"
#: The minor planets' file (helios/minor_planets.py), in a universe (helios build --mpcorb) and beside a pack index.
MINOR_PLANETS_FILE = "minor_planets.bin"


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


def shard_summary(cells: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What a client needs to tell, before fetching a shard's entries, whether any of its cells can be in view and
    show a star: a sphere holding every cell's sphere, the cells' smallest and largest radius from the Sun (None:
    open), the brightest star's absolute magnitude (None: no stars), the fastest star, the stars, and whether any
    cell has levels (whose glow can show where no star does)."""
    centres = np.array([cell["centre_pc"] for cell in cells], dtype=np.float64)
    radii = np.array([cell["radius_pc"] for cell in cells], dtype=np.float64)
    centre = 0.5 * (centres.min(axis=0) + centres.max(axis=0))
    outer = [cell["bounds"]["r_max_pc"] for cell in cells]
    brightest = [cell["magnitudes"][0] for cell in cells if cell["magnitudes"]]
    return {"centre_pc": [float(v) for v in centre],
            "radius_pc": float((np.linalg.norm(centres - centre, axis=1) + radii).max()),
            "r_min_pc": min(cell["bounds"]["r_min_pc"] for cell in cells),
            "r_max_pc": None if None in outer else max(outer),
            "brightest_abs_mag": min(brightest) if brightest else None,
            "max_speed_pc_kyr": max(cell["max_speed_pc_kyr"] for cell in cells),
            "stars": sum(cell["stars"] for cell in cells),
            "levels": any(block["kind"] == "level" for cell in cells for block in cell["blocks"])}


def write_index(shard_documents: Sequence[str | Path], universe_dir: str | Path, output: str | Path,
                trained_index_path: str | Path | None = None, minor_planets: str | Path | None = None) -> dict[str, Any]:
    """The pack index from every shard's entries document (in the universe's shard order, each beside ``output``), and
    the minor planets' file (beside it too) when there is one."""
    universe = read_index(Path(universe_dir) / "index.json")
    trained = read_trained_index(trained_index_path) if trained_index_path is not None else None
    shards, cell_ids = [], []
    for path in shard_documents:
        if Path(path).resolve().parent != Path(output).resolve().parent:
            raise HeliosError(f"{path}: a shard's entries must lie beside the pack index {output} (the index names them)")
        document = load_document(path, "pack shard's entries", SHARD_FORMAT, remedy="rerun the pack_shard step")
        shards.append({key: document[key] for key in ("file", "bytes", "sha256", "directory_bytes")}
                      | {"id": document["shard"], "cells": len(document["cells"]), "entries": Path(path).name,
                         "entries_bytes": Path(path).stat().st_size, "entries_sha256": sha256_file(path)}
                      | shard_summary(document["cells"]))
        cell_ids += [cell["id"] for cell in document["cells"]]
    expected = [shard["id"] for shard in universe["shards"]]
    if [shard["id"] for shard in shards] != expected or cell_ids != [c["id"] for c in universe["cells"]]:
        raise HeliosError(f"the pack's shards are not the universe's ({len(shards)} of {len(expected)}); rerun the pack steps")
    index = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "directory_format": DIRECTORY_FORMAT, "record_bytes": RECORD_BYTES,
             "fields": {"splats": list(SPLAT_FIELDS)}, "meta": pack_meta(universe, trained), "shards": shards}
    if minor_planets is not None:
        index["minor_planets"] = minor_planets_entry(minor_planets, output)
    write_json(output, index)
    return index


def minor_planets_entry(path: str | Path, index_path: str | Path) -> dict[str, Any]:
    """The pack index's entry for a ``minor_planets.bin`` beside it: its name, size, SHA-256, orbits and epoch."""
    from helios.minor_planets import read_minor_planets

    path = Path(path)
    if path.resolve().parent != Path(index_path).resolve().parent:
        raise HeliosError(f"{path}: the minor planets' file must lie beside the pack index {index_path} (the index names it)")
    directory, _ = read_minor_planets(path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), "count": directory["count"],
            "epoch_jd": directory["epoch_jd"], "synthetic": directory["synthetic"]}


def read_pack_index(path: str | Path) -> dict[str, Any]:
    return load_document(path, "pack index", INDEX_FORMAT, INDEX_VERSION, remedy="repack (helios pack, or the workflow's pack rules)")


def read_shard_cells(index_path: str | Path, index: dict[str, Any], number: int) -> list[dict[str, Any]]:
    """Shard ``number``'s cell entries (each given ``shard``: its number), its entries document checked against the
    index (size and SHA-256)."""
    shard = index["shards"][number]
    path = Path(index_path).parent / shard["entries"]
    if not path.is_file() or path.stat().st_size != shard["entries_bytes"] or sha256_file(path) != shard["entries_sha256"]:
        raise HeliosError(f"{path}: missing, or not the entries the pack index {index_path} lists; rerun the pack steps")
    document = load_document(path, "pack shard's entries", SHARD_FORMAT, remedy="rerun the pack_shard step")
    return [{**cell, "shard": number} for cell in document["cells"]]


def pack_cells(index_path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A sharded pack's index and every cell's entry, shard by shard."""
    index = read_pack_index(index_path)
    return index, [cell for number in range(len(index["shards"])) for cell in read_shard_cells(index_path, index, number)]


def pack_universe(universe_dir: str | Path, output_dir: str | Path, trained_dir: str | Path | None = None,
                  encoding: str = "f32") -> dict[str, Any]:
    """``helios pack``: every shard of a universe (with what was trained for it, when ``trained_dir`` has it) into
    ``output_dir`` (one pack file and its entries per shard, then ``index.json``), one shard at a time; the minor
    planets go with them (the universe's, ``helios build --mpcorb``, or those of the workflow's pack)."""
    universe_dir, output_dir = Path(universe_dir), Path(output_dir)
    universe = read_index(universe_dir / "index.json")
    output_dir.mkdir(parents=True, exist_ok=True)
    for shard in universe["shards"]:
        write_shard(universe_dir, shard["id"], trained_dir, output_dir, encoding)
    trained_index = Path(trained_dir) / "index.json" if trained_dir is not None else None
    minor_planets = None
    source = _minor_planets_source(universe_dir, trained_dir)
    if source is not None:
        minor_planets = output_dir / MINOR_PLANETS_FILE
        with atomic_path(minor_planets) as tmp:
            shutil.copyfile(source, tmp)
    return write_index([output_dir / f"{shard['id']}.json" for shard in universe["shards"]], universe_dir,
                       output_dir / INDEX_FILE, trained_index, minor_planets)


def _minor_planets_source(universe_dir: Path, trained_dir: str | Path | None) -> Path | None:
    """The minor planets a pack of this universe carries: those ``helios build --mpcorb`` put in the universe, else
    those the workflow's own pack index lists (``solar_system.mpcorb``)."""
    if (universe_dir / MINOR_PLANETS_FILE).is_file():
        return universe_dir / MINOR_PLANETS_FILE
    index_path = Path(trained_dir) / "pack" / INDEX_FILE if trained_dir is not None else None
    if index_path is not None and index_path.is_file() and "minor_planets" in (index := read_pack_index(index_path)):
        return index_path.parent / index["minor_planets"]["file"]
    return None


def pack_files(index_path: str | Path) -> list[Path]:
    """The files of a sharded pack: its index, every shard's pack file and its entries, its minor planets' file."""
    index_path = Path(index_path)
    index = read_pack_index(index_path)
    extra = [index_path.parent / index["minor_planets"]["file"]] if "minor_planets" in index else []
    return [index_path, *(index_path.parent / shard[key] for shard in index["shards"] for key in ("file", "entries")), *extra]
