"""``cells.pack.bin``: every trained cell in one file for a web client.

Layout (all integers little-endian; see docs/pack-format.md):

    header   128 bytes  magic b"HELIOSPK", version, header size, cell count,
                        directory offset/length, file length, directory SHA-256
    directory           UTF-8 JSON: one entry per cell with its block's offset,
                        length, splat count, encoding, transform and SHA-256
    blocks              one per cell, each starting at a multiple of 64 bytes

A block holds ``count`` records of 14 values, in this order: x y z,
scale_0..2 (log), rot_0..3 (w x y z), opacity (logit), f_dc_0..2 — the PLY's
pre-activation values without the normals.  ``f32`` blocks store the PLY's
values exactly (transform scale 1: positions in pc relative to the centre).
``f16`` blocks store positions divided by the cell's bounding radius and
log-scales minus its log (transform scale = radius), so that every value stays
small enough for half precision; decode with ``x_pc = centre + scale * x``.

:func:`read_pack` checks everything and raises :class:`PackError` only.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path

MAGIC = b"HELIOSPK"
VERSION = 1
HEADER_SIZE = 128
ALIGNMENT = 64
VALUES_PER_SPLAT = 14
ENCODINGS = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2")}
_HEADER = struct.Struct("<8sIIIIQQQ32s")  # 8+4+4+4+4+8+8+8+32 = 80 bytes, zero-padded to 128
MAX_DIRECTORY_BYTES = 256 << 20
FIELDS = ("x", "y", "z", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3", "opacity", "f_dc_0", "f_dc_1", "f_dc_2")


class PackError(HeliosError):
    """A pack file that is truncated, corrupt or not a pack at all."""


@dataclass(frozen=True)
class PackCell:
    """One cell to pack: pre-activation values as in the PLY (positions in pc, relative to the centre)."""

    id: str
    centre_pc: Sequence[float]
    radius_pc: float
    records: np.ndarray  # [N, 14] float32, FIELDS order


def records_from_ply(ply: dict[str, np.ndarray]) -> np.ndarray:
    """``[N, 14]`` float32 records from :func:`helios.splats.read_ply` arrays."""
    return np.concatenate(
        [ply["means"], ply["scales"], ply["quats"], ply["opacities"][:, None], ply["colors"]], axis=1
    ).astype(np.float32)


def _align(offset: int) -> int:
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _encode(cell: PackCell, encoding: str) -> tuple[bytes, float]:
    records = np.asarray(cell.records, dtype=np.float32)
    if records.ndim != 2 or records.shape[1] != VALUES_PER_SPLAT:
        raise HeliosError(f"cell {cell.id}: records must be [N, {VALUES_PER_SPLAT}], got {records.shape}")
    if encoding == "f32":
        return records.astype("<f4").tobytes(), 1.0
    scale = float(cell.radius_pc) if cell.radius_pc > 0 else 1.0
    values = records.astype(np.float64)
    values[:, 0:3] /= scale
    values[:, 3:6] -= math.log(scale)
    return values.astype("<f2").tobytes(), scale


def write_pack(path: str | Path, cells: Sequence[PackCell], encoding: str = "f32", meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a pack atomically; returns its directory."""
    if encoding not in ENCODINGS:
        raise HeliosError(f"unknown pack encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}")
    blocks, entries = [], []
    for cell in cells:
        data, scale = _encode(cell, encoding)
        blocks.append(data)
        entries.append({
            "id": cell.id,
            "count": int(len(cell.records)),
            "encoding": encoding,
            "length": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            "transform": {"centre_pc": [float(v) for v in cell.centre_pc], "scale_pc": scale},
        })
    # Offsets depend on the directory's size, which depends on the offsets' digits: iterate to a fixed point.
    offsets = [0] * len(entries)
    for _ in range(10):
        directory = {"format": "helios-pack-directory", "version": VERSION, "values_per_splat": VALUES_PER_SPLAT,
                     "fields": list(FIELDS), "meta": meta or {},
                     "cells": [dict(entry, offset=offset) for entry, offset in zip(entries, offsets)]}
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


def _offset_key(entry: Any) -> int:
    offset = entry.get("offset") if isinstance(entry, dict) else None
    return offset if isinstance(offset, int) and not isinstance(offset, bool) else -1


class PackReader:
    """Validated access to a pack: the directory up front, cells one at a time."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.data = self.path.read_bytes()
        except OSError as exc:
            raise PackError(f"{self.path}: cannot read the pack ({exc})") from None
        self.directory = self._read_directory()
        self.cells = {entry["id"]: entry for entry in self.directory["cells"]}

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
            raise self._fail(f"pack version {version} is not supported (this reader reads {VERSION})")
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
        end_of_directory = dir_offset + dir_length
        previous_end = end_of_directory
        seen = set()
        for number, entry in enumerate(sorted(directory["cells"], key=_offset_key)):
            self._check_entry(entry, number, len(data))
            if entry["offset"] < previous_end:
                raise self._fail(f"cell {entry['id']}: block overlaps the directory or another block")
            if entry["id"] in seen:
                raise self._fail(f"cell {entry['id']} appears twice")
            seen.add(entry["id"])
            previous_end = entry["offset"] + entry["length"]
        return directory

    def _check_entry(self, entry: Any, number: int, size: int) -> None:
        if not isinstance(entry, dict):
            raise self._fail(f"directory entry {number} is not an object")
        for key, kind in (("id", str), ("count", int), ("offset", int), ("length", int), ("encoding", str), ("sha256", str), ("transform", dict)):
            if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
                raise self._fail(f"directory entry {number}: missing or invalid {key!r}")
        name = entry["id"]
        if entry["encoding"] not in ENCODINGS:
            raise self._fail(f"cell {name}: unknown encoding {entry['encoding']!r}")
        itemsize = ENCODINGS[entry["encoding"]].itemsize
        if entry["count"] < 0 or entry["count"] * VALUES_PER_SPLAT * itemsize > size:
            raise self._fail(f"cell {name}: absurd splat count {entry['count']} for a {size}-byte file")
        if entry["length"] != entry["count"] * VALUES_PER_SPLAT * itemsize:
            raise self._fail(f"cell {name}: block length {entry['length']} does not match {entry['count']} splats")
        if entry["offset"] % ALIGNMENT or entry["offset"] < HEADER_SIZE or entry["offset"] + entry["length"] > size:
            raise self._fail(f"cell {name}: block at {entry['offset']} (+{entry['length']}) is misaligned or past the end of the file")
        transform = entry["transform"]
        centre, scale = transform.get("centre_pc"), transform.get("scale_pc")
        if not (isinstance(centre, list) and len(centre) == 3 and all(isinstance(v, (int, float)) and math.isfinite(v) for v in centre)):
            raise self._fail(f"cell {name}: invalid transform centre")
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            raise self._fail(f"cell {name}: invalid transform scale")

    def read_cell(self, cell_id: str) -> np.ndarray:
        """``[N, 14]`` float32 values as stored (see ``transform`` for the frame), checksum verified."""
        entry = self.cells.get(cell_id)
        if entry is None:
            raise PackError(f"{self.path}: no cell {cell_id!r} in this pack")
        block = self.data[entry["offset"]:entry["offset"] + entry["length"]]
        if hashlib.sha256(block).hexdigest() != entry["sha256"]:
            raise self._fail(f"cell {cell_id}: block checksum mismatch (corrupt file)")
        values = np.frombuffer(block, dtype=ENCODINGS[entry["encoding"]]).reshape(entry["count"], VALUES_PER_SPLAT)
        return values.astype(np.float32)

    def read_cell_pc(self, cell_id: str) -> np.ndarray:
        """Values in the PLY's frame (pc relative to the centre, log-scales in pc)."""
        values = self.read_cell(cell_id).astype(np.float64)
        scale = self.cells[cell_id]["transform"]["scale_pc"]
        if scale != 1.0:
            values[:, 0:3] *= scale
            values[:, 3:6] += math.log(scale)
        return values

    def verify(self) -> None:
        """Check every block's checksum."""
        for cell_id in self.cells:
            self.read_cell(cell_id)


def read_pack(path: str | Path) -> dict[str, np.ndarray]:
    """Every cell's stored values, fully validated."""
    reader = PackReader(path)
    return {cell_id: reader.read_cell(cell_id) for cell_id in reader.cells}
