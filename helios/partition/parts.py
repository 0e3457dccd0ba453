"""The ingest parts as the partition reads them: their batches, tallies and the columns a cell file adds."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

from helios import ingest
from helios.errors import HeliosError

#: A cell file's columns: a star's row, and which catalogue file it came from (its place in the catalogue list).
CELL_SCHEMA = ingest.STAR_SCHEMA.append(pa.field("file_index", pa.int32()))
#: Per-star categorical columns counted per file in the summary.
METHOD_COLUMNS = ("distance_method", "colour_method", "motion_method")
#: Parquet writer settings for star tables: dictionary encoding only where it
#: pays (on the float columns it halves write speed for nothing).
PARQUET_OPTIONS = {"use_dictionary": list(METHOD_COLUMNS), "compression": "snappy"}


def options_epoch(options: dict[str, Any]) -> float:
    """The epoch (Julian year) a universe's positions are at, from its ingest options."""
    epoch = options.get("epoch")
    return float(options.get("ref_epoch", ingest.IngestOptions.ref_epoch) if epoch is None else epoch)


def read_tally(path: str | Path) -> dict[str, Any]:
    """An ingest part's tally (``ingest/parts/PART.json``)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HeliosError(f"{path}: cannot read the ingest tally ({exc}); rerun the ingest step") from exc


def iter_part(path: str | Path, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
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


def positions(table: pa.Table) -> np.ndarray:
    """The ``[N, 3]`` heliocentric ICRS positions (pc) of a part's rows."""
    return np.stack([table.column(c).to_numpy() for c in ("x_pc", "y_pc", "z_pc")], axis=1)
