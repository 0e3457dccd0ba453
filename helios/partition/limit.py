"""``catalog.limit``: keep the N brightest stars of the whole catalogue, exactly.

The threshold is the ``(G, file_index, line)`` of the N-th brightest star over every part (each part already
holds its own N brightest, a superset of its share); a star is kept when its triple is at most that.  Finding
it holds at most 2 N triples at a time, whatever the catalogue's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from helios.files import load_document, write_json
from helios.partition.parts import iter_part

LIMIT_FORMAT = "helios-limit"

Threshold = tuple[float, int, int]


def find_threshold(parts: Sequence[str | Path], limit: int) -> Threshold | None:
    """The ``(G, file_index, line)`` of the ``limit``-th brightest star, or None if all of them fit."""
    g = np.zeros(0, dtype=np.float32)
    files = np.zeros(0, dtype=np.int64)
    lines = np.zeros(0, dtype=np.int64)
    total = 0
    for index, part in enumerate(parts):
        for table in iter_part(part, ["phot_g_mean_mag", "line"]):
            total += table.num_rows
            g = np.concatenate([g, table.column("phot_g_mean_mag").to_numpy()])
            lines = np.concatenate([lines, table.column("line").to_numpy()])
            files = np.concatenate([files, np.full(table.num_rows, index, dtype=np.int64)])
            if g.size > 2 * limit:
                keep = np.lexsort((lines, files, g))[:limit]
                g, files, lines = g[keep], files[keep], lines[keep]
    if total <= limit:
        return None
    last = np.lexsort((lines, files, g))[limit - 1]
    return float(g[last]), int(files[last]), int(lines[last])


def within(table: pa.Table, file_index: int, threshold: Threshold | None) -> np.ndarray:
    """Which rows of a part's table are kept under the threshold."""
    g = table.column("phot_g_mean_mag").to_numpy()
    if threshold is None:
        return np.ones(g.size, dtype=bool)
    g_max, f_max, l_max = threshold
    g_max = np.float32(g_max)
    line = table.column("line").to_numpy()
    tie = (g == g_max) & ((file_index < f_max) | ((file_index == f_max) & (line <= l_max)))
    return (g < g_max) | tie


def write_threshold(path: str | Path, limit: int | None, threshold: Threshold | None) -> None:
    write_json(path, {"format": LIMIT_FORMAT, "limit": limit, "threshold": list(threshold) if threshold else None})


def read_threshold(path: str | Path | None) -> Threshold | None:
    """The threshold a limit job wrote; None for no file (no limit) or a limit all stars fit."""
    if path is None:
        return None
    document = load_document(path, "limit threshold", LIMIT_FORMAT, remedy="rerun the partition's limit step")
    threshold = document["threshold"]
    return None if threshold is None else (float(threshold[0]), int(threshold[1]), int(threshold[2]))
