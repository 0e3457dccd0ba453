"""A pack file (``SHARD.pack.bin``): cells of the universe in one file for a web client (``docs/pack-format.md``).

Layout (all integers little-endian):

    header   128 bytes  magic b"HELIOSPK", version, header size, cell count,
                        directory offset/length, file length, directory SHA-256,
                        SHA-256 of the header's first 80 bytes, 16 zero bytes
    directory           UTF-8 JSON: every cell with its frame (centre and bounding
                        radius, stated once) and its blocks, each with offset,
                        length, record count and SHA-256
    blocks              each starting at the first multiple of 64 bytes after the
                        previous one (zero padding between), the file ending with the last

A cell's blocks: ``points`` (every star, brightest first, so a byte-range prefix
is its brightest stars), then for a trained cell either its levels (``level``:
the Gaussians of one level, whose points are the first ``points`` stars) or the
seed trainer's ``splats``.  Records: :mod:`helios.pack.records`.

:class:`PackReader` checks everything and raises :class:`PackError` only.  It streams: it holds the
directory (at most :data:`MAX_DIRECTORY_BYTES`, nested at most :data:`MAX_DIRECTORY_DEPTH` deep) and one
block at a time, never the file; :meth:`PackReader.verify` checks every byte after the directory (each
block's SHA-256, each padding byte zero) in chunks of :data:`CHUNK_BYTES`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path
from helios.pack.records import RECORD_BYTES, SPLAT_FIELDS, SPLAT_RECORDS, decode_gaussians, decode_ids, decode_points, decode_velocities

MAGIC = b"HELIOSPK"
VERSION = 3
DIRECTORY_FORMAT = "helios-pack-directory"
HEADER_SIZE = 128
ALIGNMENT = 64
_HEADER = struct.Struct("<8sIIIIQQQ32s")  # 8+4+4+4+4+8+8+8+32 = 80 bytes, then their SHA-256 (32) and 16 zero bytes
#: The largest directory a reader accepts.  A cell takes about 1.3 KB of directory with five levels (0.3 KB points
#: only), so 64 MiB is some 50,000 cells with levels, three times the finest grid built so far (14,738 cells); a
#: directory is held whole and parsed (several times its size in Python objects), and a browser fetches it first.
MAX_DIRECTORY_BYTES = 64 << 20
#: The deepest nesting of the directory's JSON (the format uses 5: top, cells, cell, blocks, block); checked
#: before parsing, without recursion, so that no crafted directory can exhaust the parser's stack.
MAX_DIRECTORY_DEPTH = 16
#: A cell id: what the grid makes (``4_2_2``) and child cells (``6_3_2.1.0``); nothing a terminal interprets.
CELL_ID = re.compile(r"[0-9A-Za-z_.-]{1,64}")
CHUNK_BYTES = 1 << 20
BLOCK_KINDS = ("points", "velocities", "ids", "level", "splats")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_JSON_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_BRACKET_STEP = np.zeros(256, np.int32)
_BRACKET_STEP[[ord("["), ord("{")]] = 1
_BRACKET_STEP[[ord("]"), ord("}")]] = -1


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


def _show(value: Any, limit: int = 40) -> str:
    """A value read from a file, for a message: ASCII only (no control characters reach a terminal), and short."""
    text = ascii(value)
    return text if len(text) <= limit else text[:limit] + "..."


def json_depth(raw: bytes, limit: int = MAX_DIRECTORY_DEPTH) -> int:
    """How deep the arrays and objects of the JSON text ``raw`` nest (a linear scan, no recursion; it stops counting
    once past ``limit``).  Escapes are dropped first, then strings, so that brackets inside strings do not count;
    for text that is not JSON the count is that of the prefix a parser reads before it fails."""
    brackets = _JSON_STRING.sub(b"", _JSON_ESCAPE.sub(b"", raw)).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for start in range(0, len(brackets), CHUNK_BYTES):
        walk = depth + np.cumsum(_BRACKET_STEP[np.frombuffer(brackets, np.uint8, min(CHUNK_BYTES, len(brackets) - start), start)])
        deepest, depth = max(deepest, int(walk.max())), int(walk[-1])
        if deepest > limit:
            break
    return deepest


def _header(count: int, directory: bytes, file_length: int) -> bytes:
    fields = _HEADER.pack(MAGIC, VERSION, HEADER_SIZE, count, 0, HEADER_SIZE, len(directory), file_length, hashlib.sha256(directory).digest())
    return fields + hashlib.sha256(fields).digest() + bytes(HEADER_SIZE - _HEADER.size - 32)


def write_pack(path: str | Path, cells: Sequence[PackCell], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write a pack atomically; returns its directory."""
    blocks: list[bytes] = []
    entries = []
    for cell in cells:
        if not (isinstance(cell.id, str) and CELL_ID.fullmatch(cell.id)):
            raise HeliosError(f"cell id {_show(cell.id)}: a cell id is 1 to 64 of A-Z a-z 0-9 _ . -")
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
        directory = {"format": DIRECTORY_FORMAT, "version": VERSION, "record_bytes": RECORD_BYTES,
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
    if len(directory_bytes) > MAX_DIRECTORY_BYTES or json_depth(directory_bytes) > MAX_DIRECTORY_DEPTH:
        raise HeliosError(f"the pack's directory ({len(directory_bytes):,} bytes) is larger than {MAX_DIRECTORY_BYTES:,} bytes "
                          f"or nested deeper than {MAX_DIRECTORY_DEPTH}: no reader would read it")
    file_length = offsets[-1] + len(blocks[-1]) if blocks else HEADER_SIZE + len(directory_bytes)
    header = _header(len(entries), directory_bytes, file_length)
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
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond any float
        return False


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class PackReader:
    """Validated access to a pack: the header and directory up front (checked), blocks one at a time.

    It holds no open file: each read opens the file, so a reader needs no closing and may be shared by threads.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            with open(self.path, "rb") as handle:
                #: The file's length when it was opened (the header must state it).
                self.size = os.fstat(handle.fileno()).st_size
                count, directory_length, digest = self._check_header(handle.read(HEADER_SIZE))
                raw = handle.read(directory_length)
        except OSError as exc:
            raise PackError(f"{self.path}: cannot read the pack ({exc})") from None
        if len(raw) != directory_length:
            raise self._fail("truncated while reading its directory")
        self.directory_end = HEADER_SIZE + directory_length
        self._spans: list[tuple[int, int, str, dict[str, Any]]] = []
        self.directory = self._read_directory(raw, count, digest)
        self.cells: dict[str, dict[str, Any]] = {entry["id"]: entry for entry in self.directory["cells"]}

    def _fail(self, message: str) -> PackError:
        return PackError(f"{self.path}: {message}")

    def _check_header(self, head: bytes) -> tuple[int, int, bytes]:
        """The header's checks (docs/pack-format.md, "What a reader must check", 1-2); the cell count, the directory's
        length and its SHA-256."""
        if len(head) < HEADER_SIZE:
            raise self._fail(f"truncated: {len(head)} bytes, shorter than the {HEADER_SIZE}-byte header")
        magic, version, header_size, count, reserved, dir_offset, dir_length, file_length, digest = _HEADER.unpack_from(head)
        if magic != MAGIC:
            raise self._fail("not a HELIOS pack (bad magic bytes)")
        if version != VERSION:
            raise self._fail(f"pack version {version} is not supported (this reader reads {VERSION}; rebuild the pack)")
        if hashlib.sha256(head[:_HEADER.size]).digest() != head[_HEADER.size:_HEADER.size + 32]:
            raise self._fail("header checksum mismatch (corrupt file)")
        if any(head[_HEADER.size + 32:]):
            raise self._fail(f"corrupt header: bytes {_HEADER.size + 32}-{HEADER_SIZE - 1} must be zero")
        if header_size != HEADER_SIZE or dir_offset != HEADER_SIZE or reserved:
            raise self._fail("corrupt header (sizes)")
        if dir_length > MAX_DIRECTORY_BYTES:
            raise self._fail(f"directory of {dir_length:,} bytes is larger than the {MAX_DIRECTORY_BYTES:,} bytes a reader accepts")
        if file_length != self.size:
            raise self._fail(f"truncated or extended: header says {file_length} bytes, file has {self.size}")
        if dir_offset + dir_length > self.size:
            raise self._fail(f"directory ({dir_length} bytes at {dir_offset}) runs past the end of the file")
        return count, dir_length, digest

    def _read_directory(self, raw: bytes, count: int, digest: bytes) -> dict[str, Any]:
        """The directory's checks (3-5): checksum, JSON at most MAX_DIRECTORY_DEPTH deep, format and version, cells and
        blocks; the blocks' layout (each at the first multiple of 64 after the previous one, the file ending with the last)."""
        if hashlib.sha256(raw).digest() != digest:
            raise self._fail("directory checksum mismatch (corrupt file)")
        if json_depth(raw) > MAX_DIRECTORY_DEPTH:
            raise self._fail(f"directory is nested deeper than {MAX_DIRECTORY_DEPTH} levels (corrupt file)")
        try:
            directory = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        except (UnicodeDecodeError, ValueError) as exc:
            raise self._fail(f"directory is not valid JSON ({exc})") from None
        if not isinstance(directory, dict):
            raise self._fail("directory is not a JSON object")
        if directory.get("format") != DIRECTORY_FORMAT:
            raise self._fail(f"not a HELIOS pack directory (format {_show(directory.get('format'))})")
        if "version" not in directory:
            raise self._fail("directory has no 'version'")
        if not _is_int(directory["version"]) or directory["version"] != VERSION:
            raise self._fail(f"directory version {_show(directory['version'])} is not the header's {VERSION}")
        if not isinstance(directory.get("meta", {}), dict):
            raise self._fail("directory meta is not an object")
        if not isinstance(directory.get("cells"), list):
            raise self._fail("directory has no cell list")
        if len(directory["cells"]) != count:
            raise self._fail(f"header says {count} cells, directory lists {len(directory['cells'])}")
        seen: set[str] = set()
        for number, entry in enumerate(directory["cells"]):
            self._check_cell(entry, number)
            if entry["id"] in seen:
                raise self._fail(f"cell {entry['id']} appears twice")
            seen.add(entry["id"])
            for block in entry["blocks"]:
                self._check_block(entry, block, self.size)
                self._spans.append((block["offset"], block["offset"] + block["length"], entry["id"], block))
        self._spans.sort(key=lambda span: span[:2])
        previous_end = self.directory_end
        for offset, end, name, block in self._spans:
            if offset < previous_end:
                raise self._fail(f"cell {name}: a block overlaps the directory or another block")
            if offset != _align(previous_end):
                raise self._fail(f"cell {name}: {offset - previous_end}-byte gap before its {block['kind']} block (a block starts at the "
                                 f"first multiple of {ALIGNMENT} bytes after the previous one)")
            previous_end = end
        if previous_end != self.size:
            raise self._fail(f"{self.size - previous_end} bytes after the last block (a pack ends with its last block)")
        return directory

    def _check_cell(self, entry: Any, number: int) -> None:
        if not isinstance(entry, dict):
            raise self._fail(f"directory entry {number} is not an object")
        if not (isinstance(entry.get("id"), str) and CELL_ID.fullmatch(entry["id"])):
            raise self._fail(f"directory entry {number}: invalid 'id' {_show(entry.get('id'))} (1 to 64 of A-Z a-z 0-9 _ . -)")
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
        if kinds.count("points") != 1 or kinds.count("splats") > 1 or kinds.count("velocities") > 1 or kinds.count("ids") > 1:
            raise self._fail(f"cell {name}: a cell needs one points block and at most one velocities, one ids and one splats block, "
                             f"has {_show(kinds, 120)}")

    def _check_block(self, cell: dict[str, Any], block: dict[str, Any], size: int) -> None:
        name, kind = cell["id"], block.get("kind")
        if kind not in BLOCK_KINDS:
            raise self._fail(f"cell {name}: unknown block kind {_show(kind)}")
        for key, check in (("count", _is_int), ("offset", _is_int), ("length", _is_int),
                           ("sha256", lambda v: isinstance(v, str) and _SHA256_HEX.fullmatch(v))):
            if not check(block.get(key)):
                raise self._fail(f"cell {name}, {kind} block: missing or invalid {key!r}")
        if kind == "splats" and block.get("encoding") not in SPLAT_RECORDS:
            raise self._fail(f"cell {name}: unknown splat encoding {_show(block.get('encoding'))}")
        record = RECORD_BYTES[record_kind(block)]
        if block["count"] < 0 or block["count"] * record > size:
            raise self._fail(f"cell {name}, {kind} block: absurd record count {_show(block['count'])} for a {size}-byte file")
        if block["length"] != block["count"] * record:
            raise self._fail(f"cell {name}, {kind} block: length {_show(block['length'])} does not match {block['count']} records")
        if block["offset"] % ALIGNMENT or block["offset"] < HEADER_SIZE or block["offset"] + block["length"] > size:
            raise self._fail(f"cell {name}, {kind} block at {_show(block['offset'])} (+{block['length']}) is misaligned or past the end "
                             "of the file")
        if kind in ("points", "velocities", "ids") and block["count"] != cell["stars"]:
            raise self._fail(f"cell {name}: {kind} block holds {block['count']} stars, the cell {cell['stars']}")
        if kind == "level":
            if not (_is_int(block.get("level")) and block["level"] >= 1 and _is_number(block.get("fraction"))
                    and 0 < block["fraction"] < 1 and _is_int(block.get("points")) and 0 <= block["points"] <= cell["stars"]):
                raise self._fail(f"cell {name}: invalid level block (level, fraction or points)")
            remainder = block.get("remainder_abs_mag")
            if (remainder is None) != (block["points"] == cell["stars"]) or not (remainder is None or _is_number(remainder)):
                raise self._fail(f"cell {name}: level {_show(block['level'])}: remainder_abs_mag must be the magnitude of star "
                                 f"{block['points']} (null when every star is a point), is {_show(remainder)}")
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
        """A block's bytes (read from the file now: one block in memory), checksum verified."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(block["offset"])
                data = handle.read(block["length"])
        except OSError as exc:
            raise self._fail(f"cannot read the pack ({exc})") from None
        if len(data) != block["length"]:
            raise self._fail(f"cell {cell_id}: {block['kind']} block truncated ({len(data)} of its {block['length']} bytes)")
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

    def ids(self, cell_id: str) -> np.ndarray:
        """A cell's ids records (:data:`helios.pack.records.ID_RECORD`), in the order of its points."""
        block = self.block(cell_id, "ids")
        if block is None:
            raise PackError(f"{self.path}: cell {cell_id} has no ids")
        return decode_ids(self.read_block(cell_id, block))

    def level(self, cell_id: str, number: int) -> dict[str, np.ndarray]:
        """A level's Gaussians (:func:`helios.pack.records.decode_gaussians`, means in the universe's frame)."""
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
        """Check every byte after the directory, streaming (at most CHUNK_BYTES in memory whatever the blocks' sizes):
        each block's SHA-256, and the padding before it zero.  With the header's and the directory's checksums, checked
        on opening, every byte of the pack is checked."""
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.directory_end)
                position = self.directory_end
                for offset, end, cell_id, block in self._spans:
                    padding = handle.read(offset - position)
                    if len(padding) != offset - position:
                        raise self._fail("truncated while verifying")
                    if any(padding):
                        at = position + next(i for i, byte in enumerate(padding) if byte)
                        raise self._fail(f"padding at byte {at} is not zero (corrupt file)")
                    digest = hashlib.sha256()
                    for start in range(offset, end, CHUNK_BYTES):
                        chunk = handle.read(min(CHUNK_BYTES, end - start))
                        if not chunk:
                            raise self._fail(f"cell {cell_id}: {block['kind']} block truncated while verifying")
                        digest.update(chunk)
                    if digest.hexdigest() != block["sha256"]:
                        raise self._fail(f"cell {cell_id}: {block['kind']} block checksum mismatch (corrupt file)")
                    position = end
                if handle.read(1):
                    raise self._fail("the file grew after it was opened")
        except OSError as exc:
            raise self._fail(f"cannot read the pack ({exc})") from None


def read_pack(path: str | Path) -> PackReader:
    """A pack, fully validated (header, directory, every block's checksum and every padding byte), streaming."""
    reader = PackReader(path)
    reader.verify()
    return reader
