"""Fan-in of the training: the trained universe's ``index.json``.

``trained/index.json`` lists every selected cell with its frame (centre and bounding radius: every
trained position is pc relative to the centre, the one transform), its files (relative path,
bytes, SHA-256) and a summary of its metrics, as its product writes them
(:meth:`helios.products.Product.index_entry`).  It holds nothing that changes between two runs of
the same config (no timings, no host names), so two clean CPU runs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.products import product

TRAINED_FORMAT = "helios-trained-universe"
TRAINED_VERSION = 2


def config_hash(config: dict[str, Any]) -> str:
    """Short SHA-256 of a config mapping (sorted JSON)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_entry(path: Path, relative: str, what: str) -> dict[str, Any]:
    """A trained file's index fields: its path relative to the trained directory, bytes and SHA-256."""
    if not path.is_file():
        raise HeliosError(f"{path}: missing {what}")
    return {"file": relative, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def build_trained_index(
    universe_index: dict[str, Any],
    selection: dict[str, Any],
    trained_dir: str | Path,
    index_path: str | Path,
    config: dict[str, Any] | None = None,
    cell_files: dict[str, str] | None = None,
    ground_truth: str = "levels",
) -> dict[str, Any]:
    """Write ``index_path`` for the cells in ``selection`` trained under ``trained_dir``.

    A cell's files are ``trained_dir/STEM`` plus its product's suffixes, where ``cell_files`` maps its id
    to ``STEM`` (the workflow's jobs write ``<folder>/<batch>/<id>``); a cell it does not name is the batch
    of one, ``<folder>/<id>/<id>``.
    """
    chosen_product = product(ground_truth)
    trained_dir = Path(trained_dir)
    by_id = {cell["id"]: cell for cell in universe_index["cells"]}
    cells = []
    for chosen in selection["cells"]:
        cell_id = chosen["id"]
        universe = by_id.get(cell_id)
        if universe is None:
            raise HeliosError(f"selected cell {cell_id} is not in the universe index")
        frame = {key: universe[key] for key in ("id", "l", "t", "p", "centre_pc", "radius_pc", "star_count")}
        stem = (cell_files or {}).get(cell_id, chosen_product.stem(cell_id, cell_id))
        cells.append({**frame, **chosen_product.index_entry(trained_dir, stem)})
    count_key = chosen_product.count_key
    index = {
        "format": TRAINED_FORMAT,
        "version": TRAINED_VERSION,
        "ground_truth": ground_truth,
        "grid": universe_index["grid"],
        "frame": universe_index["frame"],
        "units": universe_index["units"],
        "positions": "pc relative to the cell's centre_pc in every trained file: x_pc = centre_pc + x",
        "config_hash": config_hash(config or {}),
        "cell_count": len(cells),
        count_key: sum(c[count_key] for c in cells),
        "cells": cells,
    }
    write_json(index_path, index)
    return index
