"""One-call universe build (what ``helios build`` runs): ingest every source, then partition.

The workflow runs the same steps as separate jobs (one ingest job per
file, then the partition's stages, :mod:`helios.partition`); this module strings them
together in one process for the command line.  The universe is written into a temporary
directory beside the output and renamed into place when complete; an existing
output is replaced only when it is a universe HELIOS built (:mod:`helios.outputs`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from helios.grid import Grid
from helios.ingest import IngestOptions, ingest_source
from helios.outputs import output_directory
from helios.partition import build_universe
from helios.partition.plan import DEFAULT_SHARD_ROWS

#: The kind of output directory ``helios build`` writes (its marker, :mod:`helios.outputs`).
UNIVERSE_KIND = "universe"


def build(
    sources: Sequence[dict[str, Any]],
    output_dir: str | Path,
    options: IngestOptions = IngestOptions(),
    grid: Grid = Grid(),
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    shard_rows: int = DEFAULT_SHARD_ROWS,
) -> dict[str, Any]:
    """Write ``ingest_summary.json``, ``cells/SHARD/CELL.parquet`` and ``index.json`` under ``output_dir``.

    ``force``: replace an existing directory that is not a HELIOS universe (never one holding an input file).
    """
    inputs = [source["path"] for source in sources if source.get("kind") == "file"]
    with output_directory(output_dir, UNIVERSE_KIND, force=force, inputs=inputs) as output:
        return _build(sources, output, options, grid, progress, shard_rows)


def _build(sources: Sequence[dict[str, Any]], output: Path, options: IngestOptions, grid: Grid,
           progress: Callable[[str], None] | None, shard_rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=".helios-parts-", dir=output) as scratch:
        parts, tallies = [], []
        for number, source in enumerate(sources):
            part, tally = Path(scratch) / f"{number}.arrow", Path(scratch) / f"{number}.json"
            ingest_source(source, part, tally, options, progress)
            parts.append(part)
            tallies.append(tally)
        return build_universe(
            parts,
            tallies,
            grid,
            summary_path=output / "ingest_summary.json",
            cells_dir=output / "cells",
            index_path=output / "index.json",
            limit=options.limit,
            shard_rows=shard_rows,
            progress=progress,
        )
