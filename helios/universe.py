"""The read side of HELIOS's outputs: find and read a universe (``helios build``, or a workflow output's
``universe/``) and what a workflow trained for it (``trained/index.json``).  ``helios render``, the report,
the validation, the pack and the site read through here.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from helios import photometry
from helios.cell import load_cell
from helios.errors import HeliosError
from helios.files import load_document
from helios.grid import Grid
from helios.landmarks import Landmark
from helios.partition import INDEX_FORMAT, read_index
from helios.trained_index import TRAINED_FORMAT, TRAINED_VERSION

if TYPE_CHECKING:
    from helios.cameras import Views


def _universe_format(path: Path) -> bool:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") == INDEX_FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def find_universe(results: str | Path) -> Path:
    """The universe directory of ``results``: itself (a ``helios build`` output), its
    ``universe/``, or the ``universe_dir`` its ``helios-config.yaml`` names."""
    results = Path(results)
    if not results.is_dir():
        raise HeliosError(f"{results}: no such directory (give a workflow output directory or a `helios build` output)")
    candidates = [results, results / "universe"]
    config = results / "helios-config.yaml"
    if config.is_file():
        try:
            named = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("universe_dir")
        except (OSError, yaml.YAMLError):
            named = None
        if named:
            candidates.append(Path(named))
    for candidate in candidates:
        if _universe_format(candidate / "index.json"):
            return candidate
    raise HeliosError(f"{results}: no universe here (looked for a universe index.json in {', '.join(str(c) for c in candidates)}); "
                      "give a workflow output directory or a `helios build` output")


@dataclass(frozen=True)
class CellPoints:
    """One cell's stars in the universe frame, brightest first."""

    cell_id: str
    positions: np.ndarray  # [N, 3] pc
    colours: np.ndarray  # [N, 3] linear sRGB, unit luminance
    abs_mag: np.ndarray  # [N]


class Universe:
    """A built universe: its index, grid and cells; with ``epoch`` (Julian year) its stars are where
    their space velocities take them from the universe's epoch (straight lines, ``docs/motion.md``)."""

    def __init__(self, root: str | Path, epoch: float | None = None) -> None:
        self.root = find_universe(root)
        self.index: dict[str, Any] = read_index(self.root / "index.json")
        self.grid = Grid.from_mapping(self.index["grid"])
        self.frame: str = self.index["frame"]
        self.epoch: float = float(self.index["epoch"]) if epoch is None else float(epoch)
        self.kyr_from_index = (self.epoch - float(self.index["epoch"])) / 1000.0
        self.cells: list[dict[str, Any]] = self.index["cells"]
        if self.kyr_from_index:  # bounding spheres grown by how far their fastest star can go
            self.cells = [{**entry, "radius_pc": entry["radius_pc"] + entry["max_speed_pc_kyr"] * abs(self.kyr_from_index)}
                          for entry in self.cells]

    def shard(self, shard_id: str) -> Universe:
        """This universe with only the cells of one shard (the partition's ``shard``): drawn shard by shard, a
        universe's light adds up to the whole's."""
        part = copy.copy(self)
        part.cells = [entry for entry in self.cells if entry["shard"] == shard_id]
        if not part.cells:
            raise HeliosError(f"{self.root / 'index.json'}: no cell of shard {shard_id!r}")
        return part

    def landmark_position(self, landmark: Landmark) -> np.ndarray:
        """A landmark's position (ICRS in the file) in this universe's frame."""
        return self.grid.to_frame(np.asarray([landmark.xyz]))[0]

    def cells_in_view(self, views: Views, psf_sigma_px: float = photometry.DEFAULT_PSF_SIGMA_PX) -> list[dict[str, Any]]:
        """The cells whose bounding sphere can touch the image of any of ``views`` (with the light of a
        point-spread function of ``psf_sigma_px``)."""
        return [entry for entry in self.cells if any(_sphere_in_view(entry, views, c, psf_sigma_px) for c in range(len(views)))]

    def read(self, entry: dict[str, Any]) -> CellPoints:
        stars = load_cell(self.root / entry["file"], velocities=bool(self.kyr_from_index))
        positions = stars.positions * stars.scale_pc + stars.centre_pc
        if self.kyr_from_index:
            positions = positions + stars.velocities * self.kyr_from_index
        return CellPoints(entry["id"], positions, photometry.unit_luminance(stars.rgb), stars.abs_mag)

    def points(self, views: Views) -> Iterator[CellPoints]:
        for entry in self.cells_in_view(views):
            yield self.read(entry)


def _sphere_in_view(entry: dict[str, Any], views: Views, c: int, psf_sigma_px: float = photometry.DEFAULT_PSF_SIGMA_PX) -> bool:
    """Whether a cell's bounding sphere (widened by the point-spread function's reach) meets camera ``c``'s frustum."""
    view = views.viewmats[c].double().numpy()
    K = views.Ks[c].double().numpy()
    centre = view[:3, :3] @ np.asarray(entry["centre_pc"], dtype=np.float64) + view[:3, 3]
    radius = float(entry["radius_pc"])
    if float(np.linalg.norm(centre)) <= radius:
        return True  # the camera is inside the sphere
    reach_px = 4 * max(psf_sigma_px, photometry.DEFAULT_PSF_SIGMA_PX) + 1
    half_x = math.atan((max(K[0, 2], views.width - K[0, 2]) + reach_px) / K[0, 0])
    half_y = math.atan((max(K[1, 2], views.height - K[1, 2]) + reach_px) / K[1, 1])
    half_diagonal = math.atan(math.hypot(math.tan(half_x), math.tan(half_y)))
    angle_to_centre = math.acos(max(-1.0, min(1.0, centre[2] / np.linalg.norm(centre))))
    return angle_to_centre - math.asin(min(1.0, radius / np.linalg.norm(centre))) <= half_diagonal


def read_trained_index(path: str | Path) -> dict[str, Any]:
    return load_document(path, "trained index", TRAINED_FORMAT, TRAINED_VERSION, remedy="rerun the workflow's gather steps")


def find_trained(results: str | Path) -> tuple[Path, dict[str, Any]] | None:
    """The trained directory of a workflow output and its trained index, or ``None`` when it has none."""
    path = Path(results) / "trained" / "index.json"
    if not path.is_file():
        return None
    return path.parent, read_trained_index(path)
