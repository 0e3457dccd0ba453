"""``cells.pack.bin``: the universe in one file for a web client (``docs/pack-format.md``).

Layout (all integers little-endian):

    header   128 bytes  magic b"HELIOSPK", version, header size, cell count,
                        directory offset/length, file length, directory SHA-256
    directory           UTF-8 JSON: every cell with its frame (centre and bounding
                        radius, stated once) and its blocks, each with offset,
                        length, record count and SHA-256
    blocks              each starting at a multiple of 64 bytes

A cell's blocks: ``points`` (every star, brightest first, so a byte-range prefix
is its brightest stars), then for a trained cell either its levels (``level``:
the Gaussians of one level, whose points are the first ``points`` stars) or the
seed trainer's ``splats``.  Records: :mod:`helios.pack_records`.

:class:`PackReader` checks everything and raises :class:`PackError` only.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path
from helios.pack_records import RECORD_BYTES, SPLAT_FIELDS, SPLAT_RECORDS, decode_gaussians, decode_points, decode_velocities

MAGIC = b"HELIOSPK"
VERSION = 2
HEADER_SIZE = 128
ALIGNMENT = 64
_HEADER = struct.Struct("<8sIIIIQQQ32s")  # 8+4+4+4+4+8+8+8+32 = 80 bytes, zero-padded to 128
MAX_DIRECTORY_BYTES = 256 << 20
BLOCK_KINDS = ("points", "velocities", "level", "splats")


class PackError(HeliosError):
    """A pack file that is truncated, corrupt or not a pack at all."""


@dataclass(frozen=True)
class PackBlock:
    """One block: ``kind``, its ``count`` records as ``data``, and what the directory says of it
    (``level``: ``level``, ``fraction``, ``points``, ``remainder_abs_mag``; ``splats``: ``encoding``, ``unit_pc``)."""

    kind: str
    count: int
    data: bytes
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PackCell:
    """One cell: its frame (records are relative to ``centre_pc``), star count and blocks."""

    id: str
    centre_pc: Sequence[float]
    radius_pc: float
    stars: int
    blocks: Sequence[PackBlock]


def record_kind(block: dict[str, Any]) -> str:
    """The key of :data:`RECORD_BYTES` for a directory block."""
    return f"splats_{block.get('encoding')}" if block.get("kind") == "splats" else str(block.get("kind"))


def splat_block(records: np.ndarray, encoding: str, radius_pc: float) -> PackBlock:
    """The seed trainer's splats (``[N, 14]``, the PLY's values) as a block: ``f32`` exactly, ``f16`` with
    positions in units of the bounding radius and log-scales minus its log (``unit_pc``), so that
    every value fits half precision."""
    if encoding not in SPLAT_RECORDS:
        raise HeliosError(f"unknown splat encoding {encoding!r}; choose one of {', '.join(SPLAT_RECORDS)}")
    records = np.asarray(records, dtype=np.float64)
    if records.ndim != 2 or records.shape[1] != len(SPLAT_FIELDS):
        raise HeliosError(f"splat records must be [N, {len(SPLAT_FIELDS)}], got {records.shape}")
    unit = 1.0 if encoding == "f32" or radius_pc <= 0 else float(radius_pc)
    values = records.copy()
    values[:, 0:3] /= unit
    values[:, 3:6] -= math.log(unit)
    data = values.astype(SPLAT_RECORDS[encoding].base).tobytes() if encoding == "f16" else records.astype("<f4").tobytes()
    return PackBlock("splats", len(records), data, {"encoding": encoding, "unit_pc": unit})


def _align(offset: int) -> int:
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def write_pack(path: str | Path, cells: Sequence[PackCell], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a pack atomically; returns its directory."""
    blocks: list[bytes] = []
    entries = []
    for cell in cells:
        block_entries = []
        for block in cell.blocks:
            if block.kind not in BLOCK_KINDS:
                raise HeliosError(f"cell {cell.id}: unknown block kind {block.kind!r}")
            entry = {"kind": block.kind, "count": int(block.count), "length": len(block.data),
                     "sha256": hashlib.sha256(block.data).hexdigest(), **block.attributes}
            if len(block.data) != block.count * RECORD_BYTES[record_kind(entry)]:
                raise HeliosError(f"cell {cell.id}: {block.kind} block of {len(block.data)} bytes does not hold {block.count} records")
            block_entries.append(entry)
            blocks.append(block.data)
        entries.append({"id": cell.id, "centre_pc": [float(v) for v in cell.centre_pc], "radius_pc": float(cell.radius_pc),
                        "stars": int(cell.stars), "blocks": block_entries})
    # Offsets depend on the directory's size, which depends on the offsets' digits: iterate to a fixed point.
    offsets = [0] * len(blocks)
    for _ in range(10):
        numbered = iter(offsets)
        directory = {"format": "helios-pack-directory", "version": VERSION, "record_bytes": RECORD_BYTES,
                     "fields": {"splats": list(SPLAT_FIELDS)}, "meta": meta or {},
                     "cells": [dict(entry, blocks=[dict(b, offset=next(numbered)) for b in entry["blocks"]]) for entry in entries]}
        directory_bytes = json.dumps(directory, sort_keys=True, separators=(",", ":")).encode()
        position = _align(HEADER_SIZE + len(directory_bytes))
        new_offsets = []
        for data in blocks:
            new_offsets.append(position)
            position = _align(position + len(data))
        if new_offsets == offsets:
            break
        offsets = new_offsets
    file_length = offsets[-1] + len(blocks[-1]) if blocks else _align(HEADER_SIZE + len(directory_bytes))
    header = _HEADER.pack(MAGIC, VERSION, HEADER_SIZE, len(entries), 0, HEADER_SIZE, len(directory_bytes), file_length,
                          hashlib.sha256(directory_bytes).digest()).ljust(HEADER_SIZE, b"\0")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(header)
            handle.write(directory_bytes)
            for offset, data in zip(offsets, blocks):
                handle.write(b"\0" * (offset - handle.tell()))
                handle.write(data)
    return directory


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class PackReader:
    """Validated access to a pack: the directory up front, blocks one at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.data = self.path.read_bytes()
        except OSError as exc:
            raise PackError(f"{self.path}: cannot read the pack ({exc})") from None
        self.directory = self._read_directory()
        self.cells: dict[str, dict[str, Any]] = {entry["id"]: entry for entry in self.directory["cells"]}

    def _fail(self, message: str) -> PackError:
        return PackError(f"{self.path}: {message}")

    def _read_directory(self) -> dict[str, Any]:
        data = self.data
        if len(data) < HEADER_SIZE:
            raise self._fail(f"truncated: {len(data)} bytes, shorter than the {HEADER_SIZE}-byte header")
        magic, version, header_size, count, _, dir_offset, dir_length, file_length, digest = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise self._fail("not a HELIOS pack (bad magic bytes)")
        if version != VERSION:
            raise self._fail(f"pack version {version} is not supported (this reader reads {VERSION}; rebuild the pack)")
        if header_size != HEADER_SIZE or dir_offset != HEADER_SIZE:
            raise self._fail("corrupt header (sizes)")
        if file_length != len(data):
            raise self._fail(f"truncated or extended: header says {file_length} bytes, file has {len(data)}")
        if dir_length > MAX_DIRECTORY_BYTES or dir_offset + dir_length > len(data):
            raise self._fail(f"directory ({dir_length} bytes at {dir_offset}) runs past the end of the file")
        raw = data[dir_offset:dir_offset + dir_length]
        if hashlib.sha256(raw).digest() != digest:
            raise self._fail("directory checksum mismatch (corrupt file)")
        try:
            directory = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise self._fail(f"directory is not valid JSON ({exc})") from None
        if not isinstance(directory, dict) or not isinstance(directory.get("cells"), list):
            raise self._fail("directory has no cell list")
        if len(directory["cells"]) != count:
            raise self._fail(f"header says {count} cells, directory lists {len(directory['cells'])}")
        seen: set[str] = set()
        blocks = []
        for number, entry in enumerate(directory["cells"]):
            self._check_cell(entry, number)
            if entry["id"] in seen:
                raise self._fail(f"cell {entry['id']} appears twice")
            seen.add(entry["id"])
            for block in entry["blocks"]:
                self._check_block(entry, block, len(data))
                blocks.append((block["offset"], block["length"], entry["id"]))
        previous_end = dir_offset + dir_length
        for offset, length, name in sorted(blocks):
            if offset < previous_end:
                raise self._fail(f"cell {name}: a block overlaps the directory or another block")
            previous_end = offset + length
        return directory

    def _check_cell(self, entry: Any, number: int) -> None:
        if not isinstance(entry, dict):
            raise self._fail(f"directory entry {number} is not an object")
        if not isinstance(entry.get("id"), str):
            raise self._fail(f"directory entry {number}: missing or invalid 'id'")
        name = entry["id"]
        centre = entry.get("centre_pc")
        if not (isinstance(centre, list) and len(centre) == 3 and all(_is_number(v) for v in centre)):
            raise self._fail(f"cell {name}: invalid centre_pc")
        if not (_is_number(entry.get("radius_pc")) and entry["radius_pc"] > 0):
            raise self._fail(f"cell {name}: invalid radius_pc")
        if not (_is_int(entry.get("stars")) and entry["stars"] >= 0):
            raise self._fail(f"cell {name}: invalid star count")
        if not isinstance(entry.get("blocks"), list) or not all(isinstance(b, dict) for b in entry["blocks"]):
            raise self._fail(f"cell {name}: invalid block list")
        kinds = [b.get("kind") for b in entry["blocks"]]
        if kinds.count("points") != 1 or kinds.count("splats") > 1 or kinds.count("velocities") > 1:
            raise self._fail(f"cell {name}: a cell needs one points block and at most one velocities and one splats block, has {kinds}")

    def _check_block(self, cell: dict[str, Any], block: dict[str, Any], size: int) -> None:
        name, kind = cell["id"], block.get("kind")
        if kind not in BLOCK_KINDS:
            raise self._fail(f"cell {name}: unknown block kind {kind!r}")
        for key, check in (("count", _is_int), ("offset", _is_int), ("length", _is_int), ("sha256", lambda v: isinstance(v, str))):
            if not check(block.get(key)):
                raise self._fail(f"cell {name}, {kind} block: missing or invalid {key!r}")
        if kind == "splats" and block.get("encoding") not in SPLAT_RECORDS:
            raise self._fail(f"cell {name}: unknown splat encoding {block.get('encoding')!r}")
        record = RECORD_BYTES[record_kind(block)]
        if block["count"] < 0 or block["count"] * record > size:
            raise self._fail(f"cell {name}, {kind} block: absurd record count {block['count']} for a {size}-byte file")
        if block["length"] != block["count"] * record:
            raise self._fail(f"cell {name}, {kind} block: length {block['length']} does not match {block['count']} records")
        if block["offset"] % ALIGNMENT or block["offset"] < HEADER_SIZE or block["offset"] + block["length"] > size:
            raise self._fail(f"cell {name}, {kind} block at {block['offset']} (+{block['length']}) is misaligned or past the end of the file")
        if kind in ("points", "velocities") and block["count"] != cell["stars"]:
            raise self._fail(f"cell {name}: {kind} block holds {block['count']} stars, the cell {cell['stars']}")
        if kind == "level":
            if not (_is_int(block.get("level")) and block["level"] >= 1 and _is_number(block.get("fraction"))
                    and 0 < block["fraction"] < 1 and _is_int(block.get("points")) and 0 <= block["points"] <= cell["stars"]):
                raise self._fail(f"cell {name}: invalid level block (level, fraction or points)")
            remainder = block.get("remainder_abs_mag")
            if (remainder is None) != (block["points"] == cell["stars"]) or not (remainder is None or _is_number(remainder)):
                raise self._fail(f"cell {name}: level {block['level']}: remainder_abs_mag must be the magnitude of star "
                                 f"{block['points']} (null when every star is a point), is {remainder!r}")
        if kind == "splats" and not (_is_number(block.get("unit_pc")) and block["unit_pc"] > 0):
            raise self._fail(f"cell {name}: invalid splats unit_pc")

    def block(self, cell_id: str, kind: str, level: int | None = None) -> dict[str, Any] | None:
        """The directory entry of a cell's block (``level``: its number), or ``None``."""
        entry = self.cells.get(cell_id)
        if entry is None:
            raise PackError(f"{self.path}: no cell {cell_id!r} in this pack")
        return next((b for b in entry["blocks"] if b["kind"] == kind and (level is None or b.get("level") == level)), None)

    def levels(self, cell_id: str) -> list[dict[str, Any]]:
        """The level blocks of a cell, coarsest first."""
        return sorted((b for b in self.cells[cell_id]["blocks"] if b["kind"] == "level"), key=lambda b: b["level"])

    def read_block(self, cell_id: str, block: dict[str, Any]) -> bytes:
        """A block's bytes, checksum verified."""
        data = self.data[block["offset"]:block["offset"] + block["length"]]
        if hashlib.sha256(data).hexdigest() != block["sha256"]:
            raise self._fail(f"cell {cell_id}: {block['kind']} block checksum mismatch (corrupt file)")
        return data

    def points(self, cell_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A cell's stars, brightest first: positions (pc, the universe's frame), absolute magnitudes, colours."""
        relative, abs_mag, colours = decode_points(self.read_block(cell_id, self.block(cell_id, "points")))
        return relative + np.asarray(self.cells[cell_id]["centre_pc"]), abs_mag, colours

    def velocities(self, cell_id: str) -> np.ndarray:
        """A cell's space velocities ``[N, 3]`` (pc/kyr, the universe's frame), in the order of its points."""
        block = self.block(cell_id, "velocities")
        if block is None:
            raise PackError(f"{self.path}: cell {cell_id} has no velocities")
        return decode_velocities(self.read_block(cell_id, block))

    def level(self, cell_id: str, number: int) -> dict[str, np.ndarray]:
        """A level's Gaussians (:func:`helios.pack_records.decode_gaussians`, means in the universe's frame)."""
        block = self.block(cell_id, "level", number)
        if block is None:
            raise PackError(f"{self.path}: cell {cell_id} has no level {number}")
        gaussians = decode_gaussians(self.read_block(cell_id, block))
        gaussians["mean"] = gaussians["mean"] + np.asarray(self.cells[cell_id]["centre_pc"])
        return gaussians

    def splats(self, cell_id: str) -> np.ndarray:
        """The seed trainer's splats ``[N, 14]`` in the PLY's frame (pc relative to the centre, log-scales in pc)."""
        block = self.block(cell_id, "splats")
        if block is None:
            raise PackError(f"{self.path}: cell {cell_id} has no splats")
        values = np.frombuffer(self.read_block(cell_id, block), SPLAT_RECORDS[block["encoding"]].base)
        values = values.reshape(block["count"], len(SPLAT_FIELDS)).astype(np.float64)
        values[:, 0:3] *= block["unit_pc"]
        values[:, 3:6] += math.log(block["unit_pc"])
        return values

    def verify(self) -> None:
        """Check every block's checksum."""
        for cell_id, entry in self.cells.items():
            for block in entry["blocks"]:
                self.read_block(cell_id, block)


def read_pack(path: str | Path) -> PackReader:
    """A pack, fully validated (directory and every block's checksum)."""
    reader = PackReader(path)
    reader.verify()
    return reader
