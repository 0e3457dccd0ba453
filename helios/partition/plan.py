"""The partition's plan: the leaves (from every part's counts) and the shards that group them.

Leaves are taken in fine-key order (so a shard holds neighbouring leaves) and packed into shards of at most
``shard_rows`` rows; a shard is the unit of the reduce and of the pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from helios.cell_tree import Leaves, Node, node_of, plan_leaves
from helios.errors import HeliosError
from helios.files import load_document, write_json
from helios.grid import Grid
from helios.partition.counts import sum_counts
from helios.partition.parts import read_tally

PLAN_FORMAT = "helios-partition-plan"
PLAN_VERSION = 1
DEFAULT_SHARD_ROWS = 1_000_000
#: The depth of the first pass over the counts (:func:`plan_tree`).
COARSE_DEPTH = 5


def shard_name(number: int) -> str:
    return f"shard-{number:04d}"


def make_plan(grid: Grid, count_files: Sequence[str | Path], tally_files: Sequence[str | Path],
              shard_rows: int = DEFAULT_SHARD_ROWS) -> dict[str, Any]:
    """The plan document from every part's counts (in catalogue order) and ingest tallies."""
    if shard_rows < grid.max_stars:
        raise HeliosError(f"partition.shard_rows ({shard_rows:,}) must be at least grid.max_stars ({grid.max_stars:,}): "
                          "a shard holds whole leaves")
    leaves, count_tallies = plan_tree(grid, count_files)
    if not leaves:
        raise HeliosError(_nothing_kept([read_tally(path) for path in tally_files], count_tallies))
    shards: list[dict[str, Any]] = []
    rows = 0
    planned = leaves
    leaves = []
    for node, count in planned:
        if not shards or rows + count > shard_rows:
            shards.append({"id": shard_name(len(shards)), "stars": 0, "leaves": 0})
            rows = 0
        rows += count
        shards[-1]["stars"] += count
        shards[-1]["leaves"] += 1
        leaves.append({"id": node.id(grid), "stars": count, "shard": shards[-1]["id"]})
    return {
        "format": PLAN_FORMAT,
        "version": PLAN_VERSION,
        "grid": grid.as_dict(),
        "shard_rows": shard_rows,
        "star_count": sum(count for _, count in planned),
        "parts": [{"stars": t["stars"], "limit_dropped": t["limit_dropped"]} for t in count_tallies],
        "leaves": leaves,
        "shards": shards,
    }


def plan_tree(grid: Grid, count_files: Sequence[str | Path]) -> tuple[list[tuple[Node, int]], list[dict[str, int]]]:
    """The leaves of every cell's tree and their star counts, in fine-key order, and the parts' count tallies.

    Two passes over the counts keep the memory to the tree's size, not the catalogue's: the first sums them
    kept to :data:`COARSE_DEPTH` levels (at most 8^5 keys a grid cell); only the nodes still over the bound
    there are planned further, from a second pass that keeps the full keys under those nodes alone.
    """
    coarse = min(COARSE_DEPTH, grid.max_depth)
    keys, stars, tallies = sum_counts(count_files, shift=3 * (grid.max_depth - coarse))
    leaves, dense = plan_leaves(grid, keys, stars, key_depth=coarse)
    if not dense:
        return leaves, tallies
    keys, stars, _ = sum_counts(count_files, under=Leaves(grid, [node for node, _ in dense]))
    refined = {node: plan_leaves(grid, keys, stars, below=node)[0] for node, _ in dense}
    return [leaf for node, count in leaves for leaf in refined.get(node, [(node, count)])], tallies


def _nothing_kept(summaries: list[dict[str, Any]], count_tallies: list[dict[str, int]]) -> str:
    """The error for a catalogue (all files together) that leaves no star: each file's rows and why they went."""
    parts = []
    for summary, extra in zip(summaries, count_tallies):
        dropped = {**summary.get("dropped", {}), **({"limit": extra["limit_dropped"]} if extra["limit_dropped"] else {})}
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in dropped.items() if count) or "none"
        parts.append(f"{summary['source']}: {summary['rows_read']:,} rows read (dropped: {reasons})")
    total = sum(s["rows_read"] for s in summaries)
    what = "the catalogue has no data rows" if total == 0 else "no star of the catalogue passed the filters"
    return f"{what}, so there is no universe to build: " + "; ".join(parts)


def write_plan(path: str | Path, plan: dict[str, Any]) -> None:
    write_json(path, plan)


def read_plan(path: str | Path) -> dict[str, Any]:
    return load_document(path, "partition plan", PLAN_FORMAT, PLAN_VERSION, remedy="rerun the partition's plan step")


def plan_grid(plan: dict[str, Any]) -> Grid:
    return Grid.from_mapping(plan["grid"])


def plan_leaves_index(plan: dict[str, Any]) -> Leaves:
    """The plan's leaves, in the plan's order (fine-key order), for locating stars."""
    grid = plan_grid(plan)
    leaves = Leaves(grid, [node_of(grid, leaf["id"]) for leaf in plan["leaves"]])
    if leaves.ids != [leaf["id"] for leaf in plan["leaves"]]:
        raise HeliosError("partition plan: leaves out of fine-key order; rerun the partition's plan step")
    return leaves
