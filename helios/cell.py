"""One cell's stars, ready for training: positions in a centred, scaled frame."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from helios import cell_tree
from helios.errors import HeliosError
from helios.grid import Grid

log = logging.getLogger(__name__)
REQUIRED = ("x_pc", "y_pc", "z_pc", "abs_mag_g", "red", "green", "blue")
VELOCITY = ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")


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
    velocities: np.ndarray | None = None  # [N, 3] pc/kyr, the cell file's axes (asked for with ``velocities=True``)

    @property
    def luminosity(self) -> np.ndarray:
        """Relative luminosity ``10^(-0.4 M)``."""
        return 10.0 ** (-0.4 * self.abs_mag)


def _index_entry(path: Path, cell_id: str) -> dict | None:
    """The cell's entry in the universe index above its file (``cells/SHARD/CELL.parquet``, or ``cells/CELL.parquet``)."""
    for index_path in (path.parent.parent.parent / "index.json", path.parent.parent / "index.json"):
        try:
            stat = index_path.stat()
        except OSError:
            continue
        entry = _index_entries(str(index_path), stat.st_ino, stat.st_mtime_ns, stat.st_size).get(cell_id)
        if entry is not None:
            return entry
    return None


@functools.lru_cache(maxsize=4)
def _index_entries(index_path: str, inode: int, mtime_ns: int, size: int) -> dict[str, dict]:
    """The cells of an ``index.json`` by id, parsed once per version of the file (a universe of thousands
    of cells has an index of megabytes, and a render reads thousands of cells)."""
    try:
        index = json.loads(Path(index_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {c.get("id"): c for c in index.get("cells", []) if isinstance(c, dict)}


def _float64_column(table: pa.Table, name: str, path: Path) -> np.ndarray:
    """A numeric column as float64, nulls as NaN.

    Through DLPack where there are no nulls: pyarrow's ``to_numpy`` imports
    pandas, ~0.25 s of every training job's start-up.
    """
    column = table.column(name).combine_chunks()
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise HeliosError(f"{path}: column {name} holds {column.type}, not numbers")
    if column.null_count:
        return column.to_numpy(zero_copy_only=False).astype(np.float64)
    return np.from_dlpack(column).astype(np.float64)


def load_cell(path: str | Path, grid: Grid | None = None, velocities: bool = False) -> CellStars:
    """Read a cell parquet file.

    The frame comes from, in order: ``grid`` (centre and bounding radius of
    the cell's geometry), the ``index.json`` beside the ``cells`` directory,
    or the stars themselves (their bounding-box centre and farthest star).
    Rows with non-finite values are dropped and counted.  With ``velocities``
    the stars' space velocities are read too.
    """
    path = Path(path)
    unreadable = f"{path}: not a readable parquet cell file"
    try:
        # ParquetFile, not read_table: read_table goes through pyarrow.dataset,
        # whose import (pandas with it) costs a training job ~0.3 s of start-up.
        cell_file = pq.ParquetFile(path)
    except FileNotFoundError:
        raise HeliosError(f"{path}: no such cell file") from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise HeliosError(f"{unreadable} ({exc})") from None
    wanted = REQUIRED + (VELOCITY if velocities else ())
    missing = [c for c in wanted if c not in cell_file.schema_arrow.names]
    if missing:
        hint = "rebuild the universe with this HELIOS" if set(missing) <= set(VELOCITY) else "is this a HELIOS cell file?"
        raise HeliosError(f"{path}: missing column(s) {', '.join(missing)}; {hint}")
    try:
        table = cell_file.read(columns=list(wanted))
    except Exception as exc:
        raise HeliosError(f"{unreadable} ({exc})") from None
    metadata = cell_file.schema_arrow.metadata or {}
    cell_id = metadata.get(b"helios.cell", path.stem.encode()).decode()
    xyz = np.stack([_float64_column(table, c, path) for c in ("x_pc", "y_pc", "z_pc")], axis=1)
    rgb = np.stack([_float64_column(table, c, path) for c in ("red", "green", "blue")], axis=1)
    abs_mag = _float64_column(table, "abs_mag_g", path)
    velocity = np.stack([_float64_column(table, c, path) for c in VELOCITY], axis=1) if velocities else None
    finite = np.isfinite(xyz).all(1) & np.isfinite(rgb).all(1) & np.isfinite(abs_mag)
    if velocity is not None:
        finite &= np.isfinite(velocity).all(1)
    dropped = int((~finite).sum())
    if dropped:
        log.warning("%s: %d star(s) with non-finite values ignored", path, dropped)
    xyz, rgb, abs_mag = xyz[finite], np.clip(rgb[finite], 0.0, None), abs_mag[finite]
    velocity = velocity[finite] if velocity is not None else None

    centre, radius = None, None
    if grid is not None:
        try:
            node = cell_tree.node_of(grid, cell_id)
        except HeliosError:
            node = None
        if node is not None:
            far = float(np.linalg.norm(xyz, axis=1).max()) * (1 + 1e-9) if len(xyz) else None
            centre, radius = cell_tree.centre_and_radius(grid, node, r_max_override=far)
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
    return CellStars(cell_id, (xyz - centre) / radius, rgb, abs_mag, np.asarray(centre, dtype=np.float64), radius, dropped, velocity)
