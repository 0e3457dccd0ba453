"""The partition's reduce: one shard's rows from every part, each leaf written brightest first.

A leaf's file holds its stars in descending luminosity (ascending absolute magnitude, ties in catalogue
order), so any prefix is its N most luminous stars (docs/photometry.md), with positions and velocities in the
grid's frame.  A ``source_id`` that occurs twice in one leaf is an error naming both rows (two copies of one
star share a position, hence a leaf).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from helios import cell_tree
from helios.errors import CatalogError, HeliosError
from helios.files import atomic_path, sha256_file, write_json
from helios.grid import Grid
from helios.partition.parts import PARQUET_OPTIONS
from helios.partition.plan import plan_grid
from helios.partition.split import shard_file

SHARD_FORMAT = "helios-partition-shard"


def reduce_shard(shard: str, plan: dict[str, Any], split_dirs: Sequence[str | Path], sources: Sequence[str],
                 cells_dir: str | Path, entries_path: str | Path, cells_prefix: str = "cells") -> list[dict[str, Any]]:
    """Write the shard's leaves under ``cells_dir`` (a directory) and their index entries to ``entries_path``.

    ``split_dirs`` are every part's split output in catalogue order; an entry's ``file`` is
    ``{cells_prefix}/{leaf}.parquet``, relative to the universe index.
    """
    grid = plan_grid(plan)
    numbers = [i for i, leaf in enumerate(plan["leaves"]) if leaf["shard"] == shard]
    if not numbers:
        raise HeliosError(f"partition plan: no shard {shard!r}; rerun the partition from its plan step")
    tables = []
    for split_dir in split_dirs:
        path = shard_file(split_dir, shard)
        if path is not None:
            try:
                with pa.OSFile(str(path), "rb") as source:
                    tables.append(ipc.open_file(source).read_all())
            except (OSError, pa.ArrowInvalid) as exc:
                raise HeliosError(f"{path}: cannot read the split ({exc}); rerun the partition's split step") from exc
    rows = pa.concat_tables(tables).combine_chunks() if tables else None
    del tables
    expected = sum(plan["leaves"][i]["stars"] for i in numbers)
    if rows is None or rows.num_rows != expected:
        found = 0 if rows is None else rows.num_rows
        raise HeliosError(f"shard {shard}: the split gave {found:,} rows where the plan counted {expected:,}; "
                          "rerun the partition from its count step")
    leaf = rows.column("leaf").to_numpy()
    order = np.lexsort((rows.column("line").to_numpy(), rows.column("file_index").to_numpy(),
                        rows.column("abs_mag_g").to_numpy(), leaf))
    rows, leaf = rows.take(order).drop_columns(["leaf"]), leaf[order]
    starts = np.searchsorted(leaf, numbers, side="left")
    ends = np.searchsorted(leaf, numbers, side="right")
    entries = []
    with atomic_path(cells_dir, directory=True) as tmp:
        for number, start, end in zip(numbers, starts, ends):
            name = plan["leaves"][number]["id"]
            table = rows.slice(start, end - start)
            check_duplicates(table, name, sources)
            framed_table, framed = to_grid_frame(table, grid)
            framed_table = framed_table.replace_schema_metadata({"helios.cell": name, "helios.frame": grid.frame})
            path = Path(tmp) / f"{name}.parquet"
            pq.write_table(framed_table, path, **PARQUET_OPTIONS)
            entries.append(cell_entry(grid, name, table, path, framed, f"{cells_prefix}/{name}.parquet"))
        write_json(entries_path, {"format": SHARD_FORMAT, "shard": shard, "cells": entries})
    return entries


def check_duplicates(table: pa.Table, cell: str, sources: Sequence[str]) -> None:
    ids = table.column("source_id")
    if ids.null_count == len(ids):
        return
    values = ids.to_numpy(zero_copy_only=False)
    valid = ~np.asarray(ids.is_null())
    unique, counts = np.unique(values[valid], return_counts=True)
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


def to_grid_frame(table: pa.Table, grid: Grid) -> tuple[pa.Table, np.ndarray]:
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


def cell_entry(grid: Grid, name: str, table: pa.Table, path: Path, xyz: np.ndarray, file: str) -> dict[str, Any]:
    """A leaf's entry in ``index.json``: where it is, what it holds, and its file's size and checksum."""
    node = cell_tree.node_of(grid, name)
    shell, t, p = grid.key_to_cell(node.cell_key)
    bounds = cell_tree.bounds(grid, node)
    r_far = float(np.linalg.norm(xyz, axis=1).max()) * (1 + 1e-9)
    centre, radius = cell_tree.centre_and_radius(grid, node, r_max_override=r_far if bounds.r_max is None else None)
    g = table.column("phot_g_mean_mag").to_numpy()
    speed = np.linalg.norm(np.stack([table.column(c).to_numpy() for c in ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")], axis=1), axis=1)
    return {
        "id": name,
        "l": shell,
        "t": t,
        "p": p,
        "depth": node.depth,
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
        "file": file,
        "bytes": path.stat().st_size,
        "sha256": sha256_file(path),
    }
