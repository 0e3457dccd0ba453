"""The partition's gather: ``index.json`` (every leaf, from the shards' entries) and ``ingest_summary.json``."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helios import star_ids
from helios.errors import HeliosError
from helios.files import load_document, load_json, write_json
from helios.partition.parts import METHOD_COLUMNS, options_epoch, read_tally
from helios.partition.plan import plan_grid
from helios.partition.reduce import SHARD_FORMAT

INDEX_FORMAT = "helios-universe"
INDEX_VERSION = 3  # 2: an epoch, star velocities (pc/kyr) in the cell files; 3: leaves of the cell tree, in shards
SUMMARY_FORMAT = "helios-ingest-summary"
SUMMARY_VERSION = 2  # 2: motion_method counts and the epoch


def gather_index(plan: dict[str, Any], shard_files: Sequence[str | Path], ingest_tallies: Sequence[str | Path],
                 split_tallies: Sequence[str | Path], index_path: str | Path, summary_path: str | Path,
                 limit: int | None) -> dict[str, Any]:
    """Write the universe index and the ingest summary; return the index."""
    grid = plan_grid(plan)
    cells = []
    for shard, path in zip(plan["shards"], shard_files):
        document = load_document(path, "partition shard's entries", SHARD_FORMAT, remedy="rerun the partition's reduce step")
        if document.get("shard") != shard["id"]:
            raise HeliosError(f"{path}: not the entries of shard {shard['id']}; rerun the partition's reduce step")
        for entry in document["cells"]:
            cells.append({**entry, "shard": shard["id"]})
    if [c["id"] for c in cells] != [leaf["id"] for leaf in plan["leaves"]]:
        raise HeliosError("the shards' cells are not the plan's leaves; rerun the partition from its plan step")
    summary = combined_summary([read_tally(p) for p in ingest_tallies], [load_json(p, "split tally") for p in split_tallies], limit)
    index = {
        "format": INDEX_FORMAT,
        "version": INDEX_VERSION,
        "grid": grid.as_dict(),
        "frame": grid.frame,
        "units": {"position": "pc", "angle": "rad", "magnitude": "mag", "velocity": "pc/kyr"},
        "epoch": summary["epoch"],
        "ids": summary["ids"],
        "star_count": summary["rows_kept"],
        "cell_count": len(cells),
        "shards": [{"id": s["id"], "star_count": s["stars"], "cell_count": s["leaves"]} for s in plan["shards"]],
        "cells": cells,
    }
    if index["star_count"] != sum(c["star_count"] for c in cells):
        raise HeliosError("the cells' stars do not add up to the ingest's kept rows; rerun the partition")
    write_json(summary_path, summary)
    write_json(index_path, index)
    return index


def combined_summary(summaries: Sequence[dict[str, Any]], splits: Sequence[dict[str, Any]], limit: int | None) -> dict[str, Any]:
    """The ingest summary: every file's rows read, kept and dropped (with the reason), and the totals."""
    files = []
    totals: dict[str, Any] = {"rows_read": 0, "rows_kept": 0, "dropped": defaultdict(int), **{name: defaultdict(int) for name in METHOD_COLUMNS}}
    for summary, split in zip(summaries, splits):
        dropped = dict(summary["dropped"])
        if split["limit_dropped"]:
            dropped["not_among_brightest"] = dropped.get("not_among_brightest", 0) + split["limit_dropped"]
        kept = summary["rows_kept"] - split["limit_dropped"]
        entry = {
            "source": summary["source"],
            "distance_source": summary["distance_source"],
            "rows_read": summary["rows_read"],
            "rows_kept": kept,
            "dropped": dict(sorted(dropped.items())),
            "example_lines": summary["example_lines"],
            "source_ids": summary.get("source_ids", {"low": None, "high": None, "missing": 0}),
            **{name: dict(sorted(split[name].items())) for name in METHOD_COLUMNS},
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
        "ids": star_ids.id_kind([f["source_ids"] for f in files], any(f["source"].startswith("synthetic:") for f in files)),
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
        raise HeliosError(f"{path}: universe index version {index.get('version')} is not supported (this HELIOS reads "
                          f"{INDEX_VERSION}); rebuild the universe")
    return index
