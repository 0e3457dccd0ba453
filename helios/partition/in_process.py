"""Every stage of the partition in one process, in order: what ``helios build`` runs (the workflow runs each
stage as its own jobs).  Memory stays bounded as in the workflow: one part, one shard at a time."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from helios.errors import HeliosError
from helios.files import atomic_path
from helios.grid import Grid
from helios.outputs import remove_stale
from helios.partition.counts import count_part
from helios.partition.index import gather_index
from helios.partition.limit import find_threshold
from helios.partition.parts import read_tally
from helios.partition.plan import DEFAULT_SHARD_ROWS, make_plan
from helios.partition.reduce import reduce_shard
from helios.partition.split import TALLY_FILE, split_part

SCRATCH_PREFIX = ".helios-partition-"


def build_universe(
    parts: Sequence[str | Path],
    part_tallies: Sequence[str | Path],
    grid: Grid,
    *,
    summary_path: str | Path,
    cells_dir: str | Path,
    index_path: str | Path,
    limit: int | None = None,
    shard_rows: int = DEFAULT_SHARD_ROWS,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Partition ingest parts into ``cells_dir/SHARD/LEAF.parquet``, the index and the summary; return the index.

    The cells appear only when all of them are complete.  ``file`` entries in the index are relative to
    ``index_path``'s directory, so ``cells_dir`` must be its ``cells`` subdirectory.
    """
    parts = [Path(p) for p in parts]
    if len(parts) != len(part_tallies):
        raise HeliosError("build_universe: one tally per part is required")
    if not parts:
        raise HeliosError("no catalogue inputs: give at least one file or a synthetic sky")
    cells_dir, index_path = Path(cells_dir), Path(index_path)
    if cells_dir.parent.resolve() != index_path.parent.resolve() or cells_dir.name != "cells":
        raise HeliosError(f"cells directory {cells_dir} must be the 'cells' directory beside {index_path}")
    say = progress or (lambda message: None)
    started = time.perf_counter()
    sources = [read_tally(path)["source"] for path in part_tallies]
    cells_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(cells_dir.parent, SCRATCH_PREFIX)  # what a killed build left
    with tempfile.TemporaryDirectory(prefix=SCRATCH_PREFIX, dir=cells_dir.parent) as scratch:
        scratch = Path(scratch)
        threshold = find_threshold(parts, limit) if limit else None
        counts = [scratch / f"{number}.counts.arrow" for number in range(len(parts))]
        for number, part in enumerate(parts):
            count_part(part, number, grid, threshold, counts[number])
        plan = make_plan(grid, counts, part_tallies, shard_rows)
        say(f"plan: {plan['star_count']:,} stars in {len(plan['leaves'])} cells, {len(plan['shards'])} shard(s)")
        splits = [scratch / f"{number}.split" for number in range(len(parts))]
        for number, part in enumerate(parts):
            split_part(part, number, sources[number], plan, threshold, splits[number])
            say(f"split part {number + 1}/{len(parts)} ({sources[number]})")
        shard_files = [scratch / f"{shard['id']}.json" for shard in plan["shards"]]
        with atomic_path(cells_dir, directory=True) as tmp_cells:
            for done, (shard, entries) in enumerate(zip(plan["shards"], shard_files), 1):
                reduce_shard(shard["id"], plan, splits, sources, tmp_cells / shard["id"], entries, f"cells/{shard['id']}")
                say(f"wrote shard {done}/{len(shard_files)} ({shard['stars']:,} stars in {shard['leaves']} cells)")
        index = gather_index(plan, shard_files, part_tallies, [split / TALLY_FILE for split in splits],
                             index_path, summary_path, limit)
    say(f"universe: {index['star_count']:,} stars in {index['cell_count']} cells ({time.perf_counter() - started:.1f} s)")
    return index
