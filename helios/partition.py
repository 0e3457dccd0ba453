"""Merge ingest parts into the universe: one parquet file per HLG cell.

Inputs are the parts written by :mod:`helios.ingest` (one per catalogue file),
in a fixed order that defines ``file_index``.  The merge

1. applies the global ``limit`` exactly: it keeps the ``limit`` smallest
   ``(G, file_index, line)`` over all parts (each part already holds its own
   ``limit`` brightest, a superset of its share);
2. streams every part, assigns each star its cell, and buffers rows per cell,
   spilling buffers to Arrow IPC files in a scratch directory whenever more
   than ``buffer_rows`` rows are held, so memory stays bounded;
3. writes each cell (rows brightest first, coordinates in the grid frame), the
   merged ``stars.parquet`` (cells in id-key order, ICRS coordinates),
   ``index.json`` and the combined ``ingest_summary.json``.

A ``source_id`` that occurs twice in one cell is an error naming both rows
(two copies of one star share a position, hence a cell).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from helios import ingest
from helios.errors import CatalogError, HeliosError
from helios.files import atomic_path, sha256_file, write_json
from helios.grid import Grid, cell_id
from helios.outputs import remove_stale

log = logging.getLogger(__name__)

INDEX_FORMAT = "helios-universe"
INDEX_VERSION = 2  # 2: an epoch, star velocities (pc/kyr) in the cell files
SUMMARY_FORMAT = "helios-ingest-summary"
SUMMARY_VERSION = 2  # 2: motion_method counts and the epoch
DEFAULT_BUFFER_ROWS = 2_000_000
#: The most rows one cell may hold: a cell is sorted and written in memory (about 0.3 kB a row at the peak:
#: `helios build` of 1 M / 3 M synthetic stars in one cell peaks at 0.71 / 1.34 GB RSS on a 2-core VM, so
#: about 3.5 GB at the bound).  Beyond it the partition stops with a clear error as soon as the cell outgrows it,
#: before spilling the rest of the input; cells bounded by splitting are the Gaia-scale issue's.
DEFAULT_MAX_CELL_ROWS = 10_000_000

CELL_SCHEMA = ingest.STAR_SCHEMA.append(pa.field("file_index", pa.int32()))
#: Per-star categorical columns counted per file in the summary.
METHOD_COLUMNS = ("distance_method", "colour_method", "motion_method")

#: Parquet writer settings for star tables: dictionary encoding only where it
#: pays (on the float columns it halves write speed for nothing).
PARQUET_OPTIONS = {"use_dictionary": ["distance_method", "colour_method", "motion_method"], "compression": "snappy"}


def options_epoch(options: dict[str, Any]) -> float:
    """The epoch (Julian year) a universe's positions are at, from its ingest options."""
    epoch = options.get("epoch")
    return float(options.get("ref_epoch", ingest.IngestOptions.ref_epoch) if epoch is None else epoch)


def _read_summary(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HeliosError(f"{path}: cannot read the ingest tally ({exc}); rerun the ingest step") from exc


def iter_part(path: Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
    """The record batches of an ingest part (Arrow IPC file), one at a time.

    Batches are read with plain file reads rather than a memory map so that
    the pages of a large part do not all stay resident.
    """
    try:
        with pa.OSFile(str(path), "rb") as source:
            reader = ipc.open_file(source)
            for i in range(reader.num_record_batches):
                table = pa.Table.from_batches([reader.get_batch(i)])
                yield table.select(list(columns)) if columns else table
    except (OSError, pa.ArrowInvalid) as exc:
        raise HeliosError(f"{path}: cannot read the ingest part ({exc}); rerun the ingest step") from exc


def _limit_threshold(parts: Sequence[Path], limit: int) -> tuple[float, int, int] | None:
    """The ``(G, file_index, line)`` of the ``limit``-th brightest star, or None if all fit."""
    g, files, lines = [], [], []
    for index, part in enumerate(parts):
        for table in iter_part(part, ["phot_g_mean_mag", "line"]):
            g.append(table.column("phot_g_mean_mag").to_numpy())
            lines.append(table.column("line").to_numpy())
            files.append(np.full(table.num_rows, index, dtype=np.int64))
    if not g:
        return None
    g_all, f_all, l_all = np.concatenate(g), np.concatenate(files), np.concatenate(lines)
    if g_all.size <= limit:
        return None
    last = np.lexsort((l_all, f_all, g_all))[limit - 1]
    return float(g_all[last]), int(f_all[last]), int(l_all[last])


def _within_limit(table: pa.Table, file_index: int, threshold: tuple[float, int, int] | None) -> np.ndarray:
    g = table.column("phot_g_mean_mag").to_numpy()
    if threshold is None:
        return np.ones(g.size, dtype=bool)
    g_max, f_max, l_max = threshold
    g_max = np.float32(g_max)
    line = table.column("line").to_numpy()
    tie = (g == g_max) & ((file_index < f_max) | ((file_index == f_max) & (line <= l_max)))
    return (g < g_max) | tie


class CellTooLarge(HeliosError):
    """A cell with more rows than the partition holds in memory."""

    def __init__(self, key: int, rows: int, limit: int) -> None:
        self.key, self.rows, self.limit = key, rows, limit
        super().__init__(f"cell key {key} holds more than {limit:,} stars ({rows:,} so far)")


class _CellBuffers:
    """Rows grouped by cell key in memory, spilled to disk beyond a row budget."""

    def __init__(self, scratch: Path, buffer_rows: int, max_cell_rows: int = DEFAULT_MAX_CELL_ROWS) -> None:
        self.scratch = scratch
        self.buffer_rows = buffer_rows
        self.max_cell_rows = max_cell_rows
        self.rows: dict[int, int] = defaultdict(int)
        self.held: dict[int, list[pa.Table]] = defaultdict(list)
        self.held_rows = 0
        self.spills: dict[int, list[Path]] = defaultdict(list)
        self.spill_rounds = 0

    def add(self, table: pa.Table, keys: np.ndarray) -> None:
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        table = table.take(order)
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], sorted_keys.size]
        for start, end in zip(starts, ends):
            key = int(sorted_keys[start])
            self.held[key].append(table.slice(start, end - start))
            self.rows[key] += int(end - start)
            if self.rows[key] > self.max_cell_rows:
                raise CellTooLarge(key, self.rows[key], self.max_cell_rows)
        self.held_rows += table.num_rows
        if self.held_rows > self.buffer_rows:
            self._spill()

    def _spill(self) -> None:
        self.spill_rounds += 1
        for key, tables in self.held.items():
            path = self.scratch / f"{key}.{self.spill_rounds}.arrow"
            merged = pa.concat_tables(tables)
            with ipc.new_file(path, CELL_SCHEMA) as writer:
                writer.write_table(merged)
            self.spills[key].append(path)
        self.held.clear()
        self.held_rows = 0

    def keys(self) -> list[int]:
        return sorted(set(self.held) | set(self.spills))

    def take(self, key: int) -> pa.Table:
        """All rows of one cell in arrival order; frees them."""
        tables = []
        for path in self.spills.pop(key, []):
            with ipc.open_file(path) as reader:
                tables.append(reader.read_all())
            path.unlink()
        tables.extend(self.held.pop(key, []))
        return pa.concat_tables(tables).combine_chunks()


def brightest_first(table: pa.Table) -> pa.Table:
    """A cell's rows in descending luminosity (ascending absolute magnitude; ties in input order), so that
    any prefix of a cell file is its N most luminous stars (docs/photometry.md)."""
    order = np.lexsort((table.column("line").to_numpy(), table.column("file_index").to_numpy(), table.column("abs_mag_g").to_numpy()))
    return table.take(order)


def _check_duplicates(table: pa.Table, cell: str, sources: Sequence[str]) -> None:
    ids = table.column("source_id")
    if ids.null_count == len(ids):
        return
    values = ids.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(ids.is_null())
    unique, first, counts = np.unique(values[valid], return_index=True, return_counts=True)
    if (counts == 1).all():
        return
    dup = unique[counts > 1][0]
    rows = np.flatnonzero(valid)[values[valid] == dup][:2]
    files = table.column("file_index").to_numpy()[rows]
    lines = table.column("line").to_numpy()[rows]
    where = " and ".join(f"{sources[f]} line {ln}" for f, ln in zip(files, lines))
    n_dup = int((counts[counts > 1] - 1).sum())
    raise CatalogError(
        f"source_id {dup} appears more than once: {where} (cell {cell}; {n_dup} duplicate row(s) in this cell). "
        "Each star must appear once: remove overlapping files or rows from the catalogue list."
    )


def _cell_entry(grid: Grid, key: int, table: pa.Table, path: Path, xyz: np.ndarray) -> dict[str, Any]:
    cell = grid.key_to_cell(key)
    bounds = grid.bounds(cell)
    r_far = float(np.linalg.norm(xyz, axis=1).max()) * (1 + 1e-9)
    centre, radius = grid.centre_and_radius(cell, r_max_override=r_far if bounds.r_max is None else None)
    g = table.column("phot_g_mean_mag").to_numpy()
    speed = np.linalg.norm(np.stack([table.column(c).to_numpy() for c in ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")], axis=1), axis=1)
    return {
        "id": cell_id(cell),
        "l": cell[0],
        "t": cell[1],
        "p": cell[2],
        "star_count": table.num_rows,
        "bounds": {
            "r_min_pc": bounds.r_min,
            "r_max_pc": bounds.r_max,
            "theta_min_rad": bounds.theta_min,
            "theta_max_rad": bounds.theta_max,
            "phi_min_rad": bounds.phi_min,
            "phi_max_rad": bounds.phi_max,
        },
        "centre_pc": [float(v) for v in centre],
        "radius_pc": radius,
        "g_mag_range": [float(g.min()), float(g.max())],
        "max_speed_pc_kyr": float(speed.max()),  # how far the bounding sphere must grow per kyr from the epoch
        "file": f"cells/{cell_id(cell)}.parquet",
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }


def _to_grid_frame(table: pa.Table, grid: Grid) -> tuple[pa.Table, np.ndarray]:
    """Positions and velocities turned to the grid's axes (the frames share their origin, the Sun)."""
    xyz = np.stack([table.column(c).to_numpy() for c in ("x_pc", "y_pc", "z_pc")], axis=1)
    framed = grid.to_frame(xyz)
    if grid.frame != "icrs":
        names = ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")
        velocity = grid.to_frame(np.stack([table.column(c).to_numpy().astype(np.float64) for c in names], axis=1)).astype(np.float32)
        for i, name in enumerate(("x_pc", "y_pc", "z_pc")):
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(framed[:, i]))
        for i, name in enumerate(names):
            table = table.set_column(table.schema.get_field_index(name), name, pa.array(velocity[:, i]))
    return table, framed


def _nothing_kept(summaries: list[dict[str, Any]], per_file: list[dict[str, Any]]) -> str:
    """The error for a catalogue (all files together) that leaves no star: each file's rows and why they went."""
    parts = []
    for summary, extra in zip(summaries, per_file):
        dropped = {**summary.get("dropped", {}), **({"limit": extra["limit_dropped"]} if extra["limit_dropped"] else {})}
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in dropped.items() if count) or "none"
        parts.append(f"{summary['source']}: {summary['rows_read']:,} rows read (dropped: {reasons})")
    total = sum(s["rows_read"] for s in summaries)
    what = "the catalogue has no data rows" if total == 0 else "no star of the catalogue passed the filters"
    return f"{what}, so there is no universe to build: " + "; ".join(parts)


def build_universe(
    parts: Sequence[str | Path],
    part_summaries: Sequence[str | Path],
    grid: Grid,
    *,
    stars_path: str | Path,
    summary_path: str | Path,
    cells_dir: str | Path,
    index_path: str | Path,
    limit: int | None = None,
    buffer_rows: int = DEFAULT_BUFFER_ROWS,
    max_cell_rows: int = DEFAULT_MAX_CELL_ROWS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Merge ingest parts into per-cell parquet files, ``stars.parquet``, the index and the summary.

    Returns the index document.  Outputs appear only when all of them are
    complete.  ``file`` entries in the index are relative to ``index_path``'s
    directory, so ``cells_dir`` should be its ``cells`` subdirectory.  A cell
    that grows past ``max_cell_rows`` stops the merge at once with an error
    naming it (a cell is sorted in memory).
    """
    parts = [Path(p) for p in parts]
    if len(parts) != len(part_summaries):
        raise HeliosError("build_universe: one tally per part is required")
    if not parts:
        raise HeliosError("no catalogue inputs: give at least one file or a synthetic sky")
    say = progress or (lambda message: None)
    started = time.perf_counter()
    summaries = [_read_summary(Path(p)) for p in part_summaries]
    sources = [s["source"] for s in summaries]
    threshold = _limit_threshold(parts, limit) if limit else None
    cells_dir, index_path = Path(cells_dir), Path(index_path)
    if cells_dir.parent.resolve() != index_path.parent.resolve():
        raise HeliosError(f"cells directory {cells_dir} must sit beside {index_path} (index entries are relative paths)")

    per_file = [
        {"limit_dropped": 0, **{name: defaultdict(int) for name in METHOD_COLUMNS}} for _ in parts
    ]
    entries: list[dict[str, Any]] = []
    cells_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(cells_dir.parent, ".helios-spill-")  # a killed partition's spilled rows
    with tempfile.TemporaryDirectory(prefix=".helios-spill-", dir=cells_dir.parent) as scratch:
        buffers = _CellBuffers(Path(scratch), buffer_rows, max_cell_rows)
        for file_index, part in enumerate(parts):
            for table in iter_part(part):
                mask = _within_limit(table, file_index, threshold)
                per_file[file_index]["limit_dropped"] += int((~mask).sum())
                table = table.filter(mask).append_column("file_index", pa.array(np.full(int(mask.sum()), file_index, dtype=np.int32)))
                for name in METHOD_COLUMNS:
                    column = table.column(name).combine_chunks()
                    codes = np.bincount(column.indices.to_numpy(zero_copy_only=False), minlength=len(column.dictionary))
                    for code, count in enumerate(codes):
                        if count:
                            per_file[file_index][name][column.dictionary[code].as_py()] += int(count)
                if table.num_rows:
                    xyz = np.stack([table.column(c).to_numpy() for c in ("x_pc", "y_pc", "z_pc")], axis=1)
                    try:
                        buffers.add(table, grid.cell_keys(grid.to_frame(xyz)))
                    except CellTooLarge as exc:
                        raise HeliosError(
                            f"cell {cell_id(grid.key_to_cell(exc.key))} holds more than {exc.limit:,} stars (reached while "
                            f"reading {sources[file_index]}); one cell is sorted in memory, so the partition stops here. "
                            "Keep fewer stars (--max-mag, --limit; the config's catalog: keys), give the grid more shells "
                            "or angles, or check the catalogue for repeated rows") from None
            say(f"merged part {file_index + 1}/{len(parts)} ({sources[file_index]})")

        keys = buffers.keys()
        if not keys:
            raise HeliosError(_nothing_kept(summaries, per_file))
        with atomic_path(cells_dir, directory=True) as tmp_cells, atomic_path(stars_path) as tmp_stars:
            with pq.ParquetWriter(tmp_stars, CELL_SCHEMA, **PARQUET_OPTIONS) as stars_writer:
                for done, key in enumerate(keys, 1):
                    table = brightest_first(buffers.take(key))
                    name = cell_id(grid.key_to_cell(key))
                    _check_duplicates(table, name, sources)
                    stars_writer.write_table(table)
                    framed_table, framed = _to_grid_frame(table, grid)
                    framed_table = framed_table.replace_schema_metadata({"helios.cell": name, "helios.frame": grid.frame})
                    cell_path = tmp_cells / f"{name}.parquet"
                    pq.write_table(framed_table, cell_path, **PARQUET_OPTIONS)
                    entries.append(_cell_entry(grid, key, table, cell_path, framed))
                    if done % 100 == 0 or done == len(keys):
                        say(f"wrote {done}/{len(keys)} cells")
            summary = _combined_summary(summaries, per_file, limit)
            index = {
                "format": INDEX_FORMAT,
                "version": INDEX_VERSION,
                "grid": grid.as_dict(),
                "frame": grid.frame,
                "units": {"position": "pc", "angle": "rad", "magnitude": "mag", "velocity": "pc/kyr"},
                "epoch": summary["epoch"],
                "star_count": summary["rows_kept"],
                "cell_count": len(entries),
                "cells": entries,
            }
    write_json(summary_path, summary)
    write_json(index_path, index)
    say(f"universe: {index['star_count']:,} stars in {len(entries)} cells ({time.perf_counter() - started:.1f} s)")
    return index


def _combined_summary(summaries: Sequence[dict[str, Any]], per_file: Sequence[dict[str, Any]], limit: int | None) -> dict[str, Any]:
    files = []
    totals: dict[str, Any] = {"rows_read": 0, "rows_kept": 0, "dropped": defaultdict(int), **{name: defaultdict(int) for name in METHOD_COLUMNS}}
    for summary, extra in zip(summaries, per_file):
        dropped = dict(summary["dropped"])
        if extra["limit_dropped"]:
            dropped["not_among_brightest"] = dropped.get("not_among_brightest", 0) + extra["limit_dropped"]
        kept = summary["rows_kept"] - extra["limit_dropped"]
        entry = {
            "source": summary["source"],
            "distance_source": summary["distance_source"],
            "rows_read": summary["rows_read"],
            "rows_kept": kept,
            "dropped": dict(sorted(dropped.items())),
            "example_lines": summary["example_lines"],
            **{name: dict(sorted(extra[name].items())) for name in METHOD_COLUMNS},
        }
        files.append(entry)
        totals["rows_read"] += entry["rows_read"]
        totals["rows_kept"] += kept
        for key in ("dropped", *METHOD_COLUMNS):
            for reason, count in entry[key].items():
                totals[key][reason] += count
    return {
        "format": SUMMARY_FORMAT,
        "version": SUMMARY_VERSION,
        "rows_read": totals["rows_read"],
        "rows_kept": totals["rows_kept"],
        "rows_dropped": totals["rows_read"] - totals["rows_kept"],
        "dropped": dict(sorted(totals["dropped"].items())),
        **{name: dict(sorted(totals[name].items())) for name in METHOD_COLUMNS},
        "epoch": options_epoch(summaries[0]["options"]),
        "options": {**summaries[0]["options"], "limit": limit},
        "files": files,
    }


def read_index(path: str | Path) -> dict[str, Any]:
    """Load a universe ``index.json`` and check its format tag."""
    path = Path(path)
    try:
        index = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeliosError(f"{path}: no universe index here; run `helios build` (or the workflow's partition step) first") from None
    except (OSError, ValueError) as exc:
        raise HeliosError(f"{path}: not a readable universe index ({exc})") from exc
    if index.get("format") != INDEX_FORMAT:
        raise HeliosError(f"{path}: not a HELIOS universe index (format {index.get('format')!r})")
    if index.get("version") != INDEX_VERSION:
        raise HeliosError(f"{path}: universe index version {index.get('version')} is not supported (this HELIOS reads {INDEX_VERSION})")
    return index
