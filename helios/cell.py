"""One cell's stars, ready for training: positions in a centred, scaled frame."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from helios.errors import HeliosError
from helios.grid import Grid, parse_cell_id

log = logging.getLogger(__name__)
REQUIRED = ("x_pc", "y_pc", "z_pc", "abs_mag_g", "red", "green", "blue")


@dataclass(frozen=True)
class CellStars:
    """Stars of one cell.  ``positions = (xyz_pc - centre_pc) / scale_pc``."""

    cell_id: str
    positions: np.ndarray  # [N, 3] normalised (bounding radius 1)
    rgb: np.ndarray  # [N, 3] linear
    abs_mag: np.ndarray  # [N]
    centre_pc: np.ndarray  # [3]
    scale_pc: float
    dropped_nonfinite: int

    @property
    def luminosity(self) -> np.ndarray:
        """Relative luminosity ``10^(-0.4 M)``."""
        return 10.0 ** (-0.4 * self.abs_mag)


def _index_entry(path: Path, cell_id: str) -> dict | None:
    index_path = path.parent.parent / "index.json"
    if not index_path.is_file():
        return None
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return next((c for c in index.get("cells", []) if c.get("id") == cell_id), None)


def load_cell(path: str | Path, grid: Grid | None = None) -> CellStars:
    """Read a cell parquet file.

    The frame comes from, in order: ``grid`` (centre and bounding radius of
    the cell's geometry), the ``index.json`` beside the ``cells`` directory,
    or the stars themselves (their bounding-box centre and farthest star).
    Rows with non-finite values are dropped and counted.
    """
    path = Path(path)
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise HeliosError(f"{path}: no such cell file") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise HeliosError(f"{path}: not a readable parquet cell file ({exc})") from None
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise HeliosError(f"{path}: missing column(s) {', '.join(missing)}; is this a HELIOS cell file?")
    metadata = table.schema.metadata or {}
    cell_id = metadata.get(b"helios.cell", path.stem.encode()).decode()
    xyz = np.stack([table.column(c).to_numpy().astype(np.float64) for c in ("x_pc", "y_pc", "z_pc")], axis=1)
    rgb = np.stack([table.column(c).to_numpy().astype(np.float64) for c in ("red", "green", "blue")], axis=1)
    abs_mag = table.column("abs_mag_g").to_numpy().astype(np.float64)
    finite = np.isfinite(xyz).all(1) & np.isfinite(rgb).all(1) & np.isfinite(abs_mag)
    dropped = int((~finite).sum())
    if dropped:
        log.warning("%s: %d star(s) with non-finite values ignored", path, dropped)
    xyz, rgb, abs_mag = xyz[finite], np.clip(rgb[finite], 0.0, None), abs_mag[finite]

    centre, radius = None, None
    if grid is not None:
        try:
            cell = parse_cell_id(cell_id)
        except HeliosError:
            cell = None
        if cell is not None and grid.contains(cell):
            far = float(np.linalg.norm(xyz, axis=1).max()) * (1 + 1e-9) if len(xyz) else None
            centre, radius = grid.centre_and_radius(cell, r_max_override=far)
    if centre is None:
        entry = _index_entry(path, cell_id)
        if entry is not None:
            centre, radius = np.asarray(entry["centre_pc"], dtype=np.float64), float(entry["radius_pc"])
    if centre is None:
        if len(xyz):
            centre = 0.5 * (xyz.min(0) + xyz.max(0))
            radius = float(np.linalg.norm(xyz - centre, axis=1).max())
        else:
            centre, radius = np.zeros(3), 1.0
    radius = radius if radius and radius > 0 else 1.0
    return CellStars(cell_id, (xyz - centre) / radius, rgb, abs_mag, np.asarray(centre, dtype=np.float64), radius, dropped)
