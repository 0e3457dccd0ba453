"""The partition's split: a part's stars, each sent to its leaf's shard (one Arrow file per shard reached).

A row keeps the part's columns and gains ``file_index`` (the part's place in the catalogue) and ``leaf`` (its
leaf's place in the plan).  The split also counts, per part, the rows the limit dropped and each star's
distance, colour and motion methods, for the ingest summary.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from helios.cell_tree import fine_keys
from helios.errors import HeliosError
from helios.files import atomic_path, write_json
from helios.partition.limit import Threshold, within
from helios.partition.parts import CELL_SCHEMA, METHOD_COLUMNS, iter_part, positions
from helios.partition.plan import plan_grid, plan_leaves_index

SPLIT_SCHEMA = CELL_SCHEMA.append(pa.field("leaf", pa.int32()))
TALLY_FILE = "tally.json"


def split_part(part: str | Path, file_index: int, source: str, plan: dict[str, Any], threshold: Threshold | None,
               output_dir: str | Path) -> dict[str, Any]:
    """Write ``output_dir/SHARD.arrow`` for every shard the part's stars reach, and ``output_dir/tally.json``."""
    grid = plan_grid(plan)
    leaves = plan_leaves_index(plan)
    shard_names = sorted({leaf["shard"] for leaf in plan["leaves"]})
    number = {name: i for i, name in enumerate(shard_names)}
    shard_of_leaf = np.array([number[leaf["shard"]] for leaf in plan["leaves"]], dtype=np.int64)
    tally: dict[str, Any] = {"source": source, "stars": 0, "limit_dropped": 0, **{name: defaultdict(int) for name in METHOD_COLUMNS}}
    with atomic_path(output_dir, directory=True) as tmp:
        writers: dict[int, ipc.RecordBatchFileWriter] = {}
        try:
            for table in iter_part(part):
                mask = within(table, file_index, threshold)
                tally["limit_dropped"] += int((~mask).sum())
                table = table.filter(mask)
                if not table.num_rows:
                    continue
                _count_methods(table, tally)
                where = leaves.locate(fine_keys(grid, grid.to_frame(positions(table))))
                if (where < 0).any():
                    line = int(table.column("line").to_numpy()[np.flatnonzero(where < 0)[0]])
                    raise HeliosError(f"{source} line {line}: the star lies in no leaf of the partition plan (the plan "
                                      "was made from other counts); rerun the partition from its count step")
                table = table.append_column("file_index", pa.array(np.full(table.num_rows, file_index, dtype=np.int32)))
                table = table.append_column("leaf", pa.array(where.astype(np.int32)))
                shards = shard_of_leaf[where]
                order = np.argsort(shards, kind="stable")
                table, shards = table.take(order), shards[order]
                starts = np.flatnonzero(np.r_[True, shards[1:] != shards[:-1]])
                for start, end in zip(starts, np.r_[starts[1:], len(shards)]):
                    shard = int(shards[start])
                    if shard not in writers:
                        writers[shard] = ipc.new_file(str(Path(tmp) / f"{shard_names[shard]}.arrow"), SPLIT_SCHEMA)
                    writers[shard].write_table(table.slice(start, end - start))
                tally["stars"] += table.num_rows
        finally:
            for writer in writers.values():
                writer.close()
        tally = {key: dict(sorted(value.items())) if isinstance(value, dict) else value for key, value in tally.items()}
        write_json(Path(tmp) / TALLY_FILE, tally)
    return tally


def _count_methods(table: pa.Table, tally: dict[str, Any]) -> None:
    for name in METHOD_COLUMNS:
        column = table.column(name).combine_chunks()
        codes = np.bincount(column.indices.to_numpy(zero_copy_only=False), minlength=len(column.dictionary))
        for code, count in enumerate(codes):
            if count:
                tally[name][column.dictionary[code].as_py()] += int(count)


def shard_file(split_dir: str | Path, shard: str) -> Path | None:
    """A part's file for one shard, or None where none of its stars went there."""
    path = Path(split_dir) / f"{shard}.arrow"
    return path if os.path.exists(path) else None
