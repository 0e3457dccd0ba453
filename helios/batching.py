"""Which selected cells train together in batched mode.

Cells are grouped by size class (``floor(log2(stars))``), so a batch pads its
cells to at most about twice their own splat count, and within a class taken
in cell-id order, ``batch_cells`` at a time.  Cells with fewer than 64 stars
share one class: their padding (zero-opacity splats, which the rasteriser
culls) costs next to nothing, while every extra batch costs a job and a
step's fixed overhead (the landmark universe's 37 smallest cells made five
batches, now one).  ``batch_class_width`` W > 1 merges W classes (cells within
``2^W`` of each other): fewer, larger batches; padding stays cheap, since
gsplat culls zero-opacity splats.  A batch is named after its class
and position (``s05-002``).  Membership depends only on the selected cells'
ids and star counts: a new cell shifts the batches of its own size class that
come after it, and no others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from helios.cell_tree import leaf_order

SMALL_CELLS_CLASS = 6  # 1..63 stars


def size_class(star_count: int, width: int = 1) -> int:
    """0 for empty cells, else ``floor(log2(stars)) + 1`` but at least ``SMALL_CELLS_CLASS``.

    ``width`` > 1 merges that many consecutive classes above the small one
    (their first class names the merged one): a batch then spans up to
    ``2^width`` times in star count.
    """
    if star_count <= 0:
        return 0
    klass = max(int(math.floor(math.log2(star_count))) + 1, SMALL_CELLS_CLASS)
    return klass if klass == SMALL_CELLS_CLASS else SMALL_CELLS_CLASS + 1 + (klass - SMALL_CELLS_CLASS - 1) // width * width


def plan_batches(cells: Iterable[dict[str, Any]], batch_cells: int, class_width: int = 1) -> dict[str, list[str]]:
    """Batch name -> cell ids, from selection entries with ``id`` and ``star_count``."""
    if batch_cells < 1 or class_width < 1:
        raise ValueError("batch_cells and class_width must be >= 1")
    classes: dict[int, list[str]] = {}
    for cell in cells:
        classes.setdefault(size_class(int(cell["star_count"]), class_width), []).append(cell["id"])
    plan = {}
    for klass in sorted(classes):
        ids = sorted(classes[klass], key=leaf_order)
        for chunk, start in enumerate(range(0, len(ids), batch_cells)):
            plan[f"s{klass:02d}-{chunk:03d}"] = ids[start:start + batch_cells]
    return plan


def plan_jobs(cells: Iterable[dict[str, Any]], batch_cells: int, class_width: int = 1) -> dict[str, list[str]]:
    """Training job name -> cell ids: one job per cell, named by the cell, when ``batch_cells`` is 1; else
    :func:`plan_batches`.  A batch of one cell is the per-cell case."""
    if batch_cells == 1:
        return {cell["id"]: [cell["id"]] for cell in cells}
    return plan_batches(cells, batch_cells, class_width)
