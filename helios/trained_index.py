"""Fan-in of the training: the trained universe's ``index.json`` and its pack.

``trained/index.json`` lists every selected cell with its frame, its PLY
(relative path, bytes, SHA-256), splat count, status and a summary of its
metrics.  It holds nothing that changes between two runs of the same config
(no timings, no host names), so two clean CPU runs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackCell, records_from_ply, write_pack
from helios.splats import read_ply

TRAINED_FORMAT = "helios-trained-universe"
TRAINED_VERSION = 1
SUMMARY_KEYS = ("loss_initial", "loss_final", "loss_reduction", "iterations_run", "best_step", "splats_initial", "star_count")


def config_hash(config: dict[str, Any]) -> str:
    """Short SHA-256 of a config mapping (sorted JSON)."""
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeliosError(f"{path}: missing {what}") from None
    except (OSError, ValueError) as exc:
        raise HeliosError(f"{path}: unreadable {what} ({exc})") from None


def build_trained_index(
    universe_index: dict[str, Any],
    selection: dict[str, Any],
    trained_dir: str | Path,
    index_path: str | Path,
    config: dict[str, Any] | None = None,
    cell_files: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Write ``index_path`` for the cells in ``selection`` trained under ``trained_dir``.

    A cell's PLY and metrics are ``trained_dir/cells/ID.ply`` and ``.json``, or
    ``trained_dir/STEM.ply`` and ``.json`` where ``cell_files`` maps its id to a
    relative ``STEM`` (batched training writes ``batches/BATCH/ID``).
    """
    trained_dir = Path(trained_dir)
    by_id = {cell["id"]: cell for cell in universe_index["cells"]}
    cells = []
    for chosen in selection["cells"]:
        cell_id = chosen["id"]
        universe = by_id.get(cell_id)
        if universe is None:
            raise HeliosError(f"selected cell {cell_id} is not in the universe index")
        stem = (cell_files or {}).get(cell_id, f"cells/{cell_id}")
        ply, metrics_path = trained_dir / f"{stem}.ply", trained_dir / f"{stem}.json"
        if not ply.is_file():
            raise HeliosError(f"{ply}: missing trained cell")
        metrics = _load_json(metrics_path, "cell metrics")
        evaluation = metrics.get("eval") or {}
        cells.append({
            "id": cell_id,
            "l": universe["l"],
            "t": universe["t"],
            "p": universe["p"],
            "centre_pc": universe["centre_pc"],
            "radius_pc": universe["radius_pc"],
            "transform": {"centre_pc": metrics["transform"]["centre_pc"], "scale_pc": 1.0,
                          "note": "PLY positions are pc relative to centre_pc: x_pc = centre_pc + x"},
            "file": f"{stem}.ply",
            "bytes": ply.stat().st_size,
            "sha256": sha256_file(ply),
            "metrics_file": f"{stem}.json",
            "splat_count": metrics["splats_final"],
            "status": metrics["status"],
            "backend": metrics["backend"],
            "metrics": {**{k: metrics.get(k) for k in SUMMARY_KEYS},
                        **{k: evaluation.get(k) for k in ("psnr_before", "psnr_after", "ssim_before", "ssim_after")}},
        })
    index = {
        "format": TRAINED_FORMAT,
        "version": TRAINED_VERSION,
        "grid": universe_index["grid"],
        "frame": universe_index["frame"],
        "units": universe_index["units"],
        "config_hash": config_hash(config or {}),
        "cell_count": len(cells),
        "splat_count": sum(c["splat_count"] for c in cells),
        "cells": cells,
    }
    write_json(index_path, index)
    return index


def read_trained_index(path: str | Path) -> dict[str, Any]:
    index = _load_json(Path(path), "trained index")
    if index.get("format") != TRAINED_FORMAT:
        raise HeliosError(f"{path}: not a HELIOS trained index (format {index.get('format')!r})")
    if index.get("version") != TRAINED_VERSION:
        raise HeliosError(f"{path}: trained index version {index.get('version')} is not supported")
    return index


def pack_cells(trained_index: dict[str, Any], trained_dir: str | Path) -> list[PackCell]:
    """The trained cells as pack input, read from their PLYs."""
    trained_dir = Path(trained_dir)
    return [
        PackCell(cell["id"], cell["transform"]["centre_pc"], cell["radius_pc"], records_from_ply(read_ply(trained_dir / cell["file"])))
        for cell in trained_index["cells"]
    ]


def pack_universe(trained_dir: str | Path, output: str | Path, encoding: str = "f32", index_path: str | Path | None = None) -> dict[str, Any]:
    """``helios pack``: every cell of a trained universe into one pack file."""
    trained_dir = Path(trained_dir)
    index = read_trained_index(index_path or trained_dir / "index.json")
    meta = {"grid": index["grid"], "frame": index["frame"], "config_hash": index["config_hash"]}
    return write_pack(output, pack_cells(index, trained_dir), encoding, meta)

