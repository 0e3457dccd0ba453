"""Fan-in of the training: the trained universe's ``index.json`` and its pack.

``trained/index.json`` lists every selected cell with its frame (centre and bounding radius: every
trained position is pc relative to the centre, the one transform), its files (relative path,
bytes, SHA-256) and a summary of its metrics: the levels (``ground_truth: levels``) or the seed
trainer's splats (``starfield`` / ``splats``).  It holds nothing that changes between two runs of
the same config (no timings, no host names), so two clean CPU runs give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from helios import photometry
from helios.cell import load_cell
from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.lod.cluster import GlowGaussians
from helios.lod.store import read_cell_levels
from helios.pack import PackBlock, PackCell, splat_block, write_pack
from helios.pack_records import encode_gaussians, encode_points, encode_velocities
from helios.partition import read_index
from helios.seed.splats import ply_records, read_ply

TRAINED_FORMAT = "helios-trained-universe"
TRAINED_VERSION = 2
SUMMARY_KEYS = ("loss_initial", "loss_final", "loss_reduction", "iterations_run", "best_step", "splats_initial", "star_count")
LEVEL_KEYS = ("level", "fraction", "points", "gaussians", "bytes", "trained", "luminosity_ratio", "loss_clustered", "loss_trained",
              "improvement", "best_step", "diverged_at", "not_trained_because")


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


def _file_entry(path: Path, relative: str, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise HeliosError(f"{path}: missing {what}")
    return {"file": relative, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


def _levels_entry(trained_dir: Path, stem: str) -> dict[str, Any]:
    metrics = _load_json(trained_dir / f"{stem}.levels.json", "cell levels metrics")
    return {**_file_entry(trained_dir / f"{stem}.levels.parquet", f"{stem}.levels.parquet", "cell levels"),
            "metrics_file": f"{stem}.levels.json",
            "gaussian_count": sum(level["gaussians"] for level in metrics["levels"]),
            "levels": [{key: level.get(key) for key in LEVEL_KEYS} for level in metrics["levels"]]}


def _splats_entry(trained_dir: Path, stem: str) -> dict[str, Any]:
    metrics = _load_json(trained_dir / f"{stem}.json", "cell metrics")
    evaluation = metrics.get("eval") or {}
    return {**_file_entry(trained_dir / f"{stem}.ply", f"{stem}.ply", "trained cell"),
            "metrics_file": f"{stem}.json",
            "splat_count": metrics["splats_final"],
            "status": metrics["status"],
            "backend": metrics["backend"],
            "metrics": {**{k: metrics.get(k) for k in SUMMARY_KEYS},
                        **{k: evaluation.get(k) for k in ("psnr_before", "psnr_after", "ssim_before", "ssim_after")}}}


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

    Levels are ``trained_dir/levels/ID.levels.parquet`` and ``.levels.json``; the seed trainer's
    splats ``trained_dir/cells/ID.ply`` and ``.json``; or ``trained_dir/STEM.levels.parquet`` (``.ply``)
    and so on where ``cell_files`` maps its id to a relative ``STEM`` (batched jobs write
    ``level_batches/BATCH/ID`` and ``batches/BATCH/ID``).
    """
    trained_dir = Path(trained_dir)
    by_id = {cell["id"]: cell for cell in universe_index["cells"]}
    cells = []
    for chosen in selection["cells"]:
        cell_id = chosen["id"]
        universe = by_id.get(cell_id)
        if universe is None:
            raise HeliosError(f"selected cell {cell_id} is not in the universe index")
        frame = {key: universe[key] for key in ("id", "l", "t", "p", "centre_pc", "radius_pc", "star_count")}
        if ground_truth == "levels":
            cells.append({**frame, **_levels_entry(trained_dir, (cell_files or {}).get(cell_id, f"levels/{cell_id}"))})
        else:
            cells.append({**frame, **_splats_entry(trained_dir, (cell_files or {}).get(cell_id, f"cells/{cell_id}"))})
    count_key = "gaussian_count" if ground_truth == "levels" else "splat_count"
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


def read_trained_index(path: str | Path) -> dict[str, Any]:
    index = _load_json(Path(path), "trained index")
    if index.get("format") != TRAINED_FORMAT:
        raise HeliosError(f"{path}: not a HELIOS trained index (format {index.get('format')!r})")
    if index.get("version") != TRAINED_VERSION:
        raise HeliosError(f"{path}: trained index version {index.get('version')} is not supported (this HELIOS reads "
                          f"{TRAINED_VERSION}; rerun the workflow's gather steps)")
    return index


def _level_blocks(trained_dir: Path, cell: dict[str, Any], abs_mag: np.ndarray) -> list[PackBlock]:
    """The level blocks of a trained cell whose stars' absolute magnitudes (brightest first) are ``abs_mag``."""
    centre = np.asarray(cell["centre_pc"], np.float64)
    gaussians = read_cell_levels(trained_dir / cell["file"], centre)
    blocks = []
    for level in cell["levels"]:
        g = gaussians.get(level["level"], GlowGaussians.empty())
        if len(g) != level["gaussians"]:
            raise HeliosError(f"{trained_dir / cell['file']}: level {level['level']} does not hold the {level['gaussians']} Gaussians "
                              f"its metrics list")
        sigmas, rotations = g.scales_and_rotations()
        data = encode_gaussians(g.means - centre, sigmas, rotations, photometry.magnitude_from_flux(g.luminosity), g.colours)
        # The brightest star the Gaussians carry, as the points block stores it (float16): the level rule's guard.
        remainder = float(np.float16(abs_mag[level["points"]])) if level["points"] < len(abs_mag) else None
        blocks.append(PackBlock("level", len(g), data, {"level": level["level"], "fraction": level["fraction"], "points": level["points"],
                                                        "remainder_abs_mag": remainder}))
    return blocks


def pack_cells(universe_dir: str | Path, trained_index: dict[str, Any] | None, trained_dir: str | Path | None,
               encoding: str = "f32") -> list[PackCell]:
    """Every cell of the universe as pack input: its stars as points, and what was trained for it."""
    return list(iter_pack_cells(universe_dir, trained_index, trained_dir, encoding))


def iter_pack_cells(universe_dir: str | Path, trained_index: dict[str, Any] | None, trained_dir: str | Path | None,
                    encoding: str = "f32") -> Iterator[PackCell]:
    """:func:`pack_cells` one cell at a time, encoded when it is asked for (``helios validate`` holds one cell)."""
    universe_dir = Path(universe_dir)
    trained = {c["id"]: c for c in trained_index["cells"]} if trained_index else {}
    for entry in read_index(universe_dir / "index.json")["cells"]:
        stars = load_cell(universe_dir / entry["file"], velocities=True)
        centre = np.asarray(entry["centre_pc"], np.float64)
        if stars.dropped_nonfinite:
            raise HeliosError(f"{universe_dir / entry['file']}: {stars.dropped_nonfinite} star(s) with non-finite values")
        relative = stars.positions * stars.scale_pc + stars.centre_pc - centre
        blocks = [PackBlock("points", len(stars.abs_mag), encode_points(relative, stars.abs_mag, photometry.unit_luminance(stars.rgb))),
                  PackBlock("velocities", len(stars.abs_mag), encode_velocities(stars.velocities))]
        cell = trained.get(entry["id"])
        if cell is not None and "levels" in cell:
            blocks += _level_blocks(Path(trained_dir), cell, stars.abs_mag)
        elif cell is not None:
            records = ply_records(read_ply(Path(trained_dir) / cell["file"]))
            blocks.append(splat_block(records, encoding, float(entry["radius_pc"])))
        yield PackCell(entry["id"], centre, float(entry["radius_pc"]), len(stars.abs_mag), blocks)


def pack_universe(universe_dir: str | Path, output: str | Path, trained_dir: str | Path | None = None, encoding: str = "f32",
                  index_path: str | Path | None = None) -> dict[str, Any]:
    """``helios pack``: every cell of a universe, with its trained levels or splats when ``trained_dir`` has them, into one file."""
    universe_index = read_index(Path(universe_dir) / "index.json")
    index = read_trained_index(index_path or Path(trained_dir) / "index.json") if trained_dir is not None else None
    meta = {"grid": universe_index["grid"], "frame": universe_index["frame"], "epoch": universe_index["epoch"],
            "ground_truth": index["ground_truth"] if index else None, "config_hash": index["config_hash"] if index else None}
    return write_pack(output, pack_cells(universe_dir, index, trained_dir, encoding), meta)
