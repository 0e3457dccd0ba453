"""The partition's first stage: how many of a part's stars lie under each fine key of the cell tree."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from helios.cell_tree import Leaves, add_counts, count_keys, fine_keys
from helios.errors import HeliosError
from helios.files import atomic_path
from helios.grid import Grid
from helios.partition.limit import Threshold, within
from helios.partition.parts import iter_part, positions

COUNTS_SCHEMA = pa.schema([("fine_key", pa.int64()), ("stars", pa.int64())])
#: Entries held before they are summed: bounds a count's memory (about 16 bytes an entry, several copies).
MERGE_ENTRIES = 4_000_000


def count_part(part: str | Path, file_index: int, grid: Grid, threshold: Threshold | None, output: str | Path) -> dict[str, int]:
    """Write the part's counts (Arrow IPC: ``fine_key``, ``stars``, sorted) and return its row tallies.

    Rows beyond the catalogue's limit are not counted (they are dropped by the split too); the file's
    metadata says how many stars were counted and how many the limit dropped.
    """
    kept = dropped = 0
    counts = CountSum()
    for table in iter_part(part, ["x_pc", "y_pc", "z_pc", "phot_g_mean_mag", "line"]):
        mask = within(table, file_index, threshold)
        dropped += int((~mask).sum())
        table = table.filter(mask)
        kept += table.num_rows
        if table.num_rows:
            counts.add(*count_keys(fine_keys(grid, grid.to_frame(positions(table)))))
    keys, stars = counts.result()
    metadata = {"helios.stars": str(kept), "helios.limit_dropped": str(dropped)}
    with atomic_path(output) as tmp:
        with ipc.new_file(str(tmp), COUNTS_SCHEMA.with_metadata(metadata)) as writer:
            writer.write_table(pa.table({"fine_key": keys, "stars": stars}, schema=COUNTS_SCHEMA))
    return {"stars": kept, "limit_dropped": dropped}


def read_counts(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """A part's counts: fine keys, stars under each, and its tallies (``stars``, ``limit_dropped``)."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            reader = ipc.open_file(source)
            table = reader.read_all()
            metadata = reader.schema.metadata or {}
        tallies = {"stars": int(metadata[b"helios.stars"]), "limit_dropped": int(metadata[b"helios.limit_dropped"])}
    except (OSError, pa.ArrowInvalid, KeyError, ValueError) as exc:
        raise HeliosError(f"{path}: cannot read the part's counts ({exc}); rerun the partition's count step") from exc
    return table.column("fine_key").to_numpy(), table.column("stars").to_numpy(), tallies


def sum_counts(paths: Iterable[str | Path], shift: int = 0, under: Leaves | None = None
               ) -> tuple[np.ndarray, np.ndarray, list[dict[str, int]]]:
    """Every part's counts summed, keys cut by ``shift`` bits (``key >> shift``: fewer levels of the tree), only the
    keys under the nodes ``under`` when given.  Memory: one entry per distinct key kept, plus a bounded buffer."""
    total = CountSum()
    tallies = []
    for path in paths:
        keys, stars, tally = read_counts(path)
        tallies.append(tally)
        if under is not None:
            inside = under.locate(keys) >= 0
            keys, stars = keys[inside], stars[inside]
        total.add(keys >> shift, stars)
    keys, stars = total.result()
    return keys, stars, tallies


class CountSum:
    """Counts summed as they come: one entry per distinct key, plus at most :data:`MERGE_ENTRIES` not yet summed."""

    def __init__(self) -> None:
        self.total = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.pending: list[tuple[np.ndarray, np.ndarray]] = []
        self.held = 0

    def add(self, keys: np.ndarray, stars: np.ndarray) -> None:
        self.pending.append((keys, stars))
        self.held += len(keys)
        if self.held > MERGE_ENTRIES:
            self.total, self.pending, self.held = add_counts([self.total, *self.pending]), [], 0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        return add_counts([self.total, *self.pending])
