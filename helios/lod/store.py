"""A cell's trained levels on disk: ``ID.levels.parquet`` (the Gaussians) and ``ID.levels.json`` (what was made).

The parquet table has one row per Gaussian: ``level`` (1 = the coarsest fraction), the mean ``x y z``
in pc relative to the cell's centre, the standard deviations ``sigma_0..2`` in pc along the axes of
the rotation ``rot_w rot_x rot_y rot_z`` (unit quaternion), ``abs_mag`` (the absolute magnitude of
the light it carries) and its colour ``red green blue`` (linear sRGB, unit luminance).  The points
of a level are the first ``points`` stars of the cell file, which is stored brightest first; the
JSON says how many.  Formats: ``docs/formats.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from helios import photometry
from helios.errors import HeliosError
from helios.files import atomic_path, write_json
from helios.lod.gaussians import GlowGaussians
from helios.lod.ladder import GAUSSIAN_BYTES, POINT_BYTES

if TYPE_CHECKING:  # the levels are built with torch; the store reads and writes them without it
    from helios.lod.levels import CellLevel

LEVELS_FORMAT = "helios-cell-levels"
LEVELS_VERSION = 1
COLUMNS = ("level", "x", "y", "z", "sigma_0", "sigma_1", "sigma_2", "rot_w", "rot_x", "rot_y", "rot_z", "abs_mag", "red", "green", "blue")


def levels_table(levels: list[CellLevel], centre: np.ndarray) -> pa.Table:
    parts = []
    for number, built in enumerate(levels, 1):
        g = built.gaussians
        scales, quats = g.scales_and_rotations()
        with np.errstate(divide="ignore"):
            abs_mag = photometry.magnitude_from_flux(g.luminosity)
        parts.append(np.c_[np.full(len(g), number), g.means - centre, scales, quats, abs_mag, g.colours])
    values = np.concatenate(parts) if parts else np.zeros((0, len(COLUMNS)))
    arrays = [pa.array(values[:, 0].astype(np.int32))] + [pa.array(values[:, i]) for i in range(1, len(COLUMNS))]
    return pa.Table.from_arrays(arrays, names=list(COLUMNS))


def level_summary(number: int, built: CellLevel) -> dict[str, Any]:
    """What a cell's metrics JSON (and the trained index) say about one level."""
    report = built.report
    kept = float(built.gaussians.luminosity.sum())
    return {
        "level": number,
        "fraction": built.level.fraction,
        "points": built.level.n_points,
        "gaussians": len(built.gaussians),
        "bytes": built.level.n_points * POINT_BYTES + len(built.gaussians) * GAUSSIAN_BYTES,
        "trained": report is not None,
        "not_trained_because": built.not_trained_because,
        # The Gaussians' luminosity over the stars' they replace: 1 after clustering; training may move it.
        "luminosity_ratio": kept / built.remainder_luminosity if built.remainder_luminosity > 0 else None,
        "loss_clustered": report.loss_clustered if report else None,
        "loss_trained": report.loss_trained if report else None,
        "improvement": report.improvement if report else None,
        "best_step": report.best_step if report else None,
        "diverged_at": report.diverged_at if report else None,
        "curve": [{"step": s, "train": t, "held_out": h} for s, t, h in report.curve] if report else [],
    }


def write_cell_levels(table_path: str | Path, metrics_path: str | Path, cell_id: str, centre: np.ndarray, radius: float,
                      n_stars: int, levels: list[CellLevel], extra: dict[str, Any]) -> dict[str, Any]:
    """Write both files atomically; returns the metrics."""
    centre = np.asarray(centre, np.float64)
    table = levels_table(levels, centre).replace_schema_metadata(
        {"helios.format": LEVELS_FORMAT, "helios.version": str(LEVELS_VERSION), "helios.cell": cell_id})
    with atomic_path(table_path) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    metrics = {
        "format": LEVELS_FORMAT,
        "version": LEVELS_VERSION,
        "cell": cell_id,
        "centre_pc": [float(v) for v in centre],
        "radius_pc": float(radius),
        "stars": int(n_stars),
        **extra,
        "levels": [level_summary(number, built) for number, built in enumerate(levels, 1)],
    }
    write_json(metrics_path, metrics)
    return metrics


def read_cell_levels(table_path: str | Path, centre: np.ndarray) -> dict[int, GlowGaussians]:
    """Level number -> its Gaussians in the universe's frame (pc), from a levels parquet file."""
    table_path = Path(table_path)
    try:
        table = pq.read_table(table_path)
    except FileNotFoundError:
        raise HeliosError(f"{table_path}: no such levels file") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise HeliosError(f"{table_path}: not a readable levels parquet file ({exc})") from None
    metadata = table.schema.metadata or {}
    if metadata.get(b"helios.format") != LEVELS_FORMAT.encode():
        raise HeliosError(f"{table_path}: not a HELIOS levels file")
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        raise HeliosError(f"{table_path}: missing column(s) {', '.join(missing)}")
    values = {c: table.column(c).to_numpy(zero_copy_only=False) for c in COLUMNS}
    if not all(np.isfinite(values[c]).all() for c in COLUMNS if c != "level"):
        raise HeliosError(f"{table_path}: non-finite values")
    result = {}
    for number in np.unique(values["level"]):
        rows = values["level"] == number

        def pick(*names: str, rows: np.ndarray = rows) -> np.ndarray:
            return np.stack([values[n][rows] for n in names], 1)

        result[int(number)] = GlowGaussians.from_scales_and_rotations(
            pick("x", "y", "z") + np.asarray(centre, np.float64), pick("sigma_0", "sigma_1", "sigma_2"),
            pick("rot_w", "rot_x", "rot_y", "rot_z"), photometry.luminosity(values["abs_mag"][rows]), pick("red", "green", "blue"))
    return result
