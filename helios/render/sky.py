"""The assembled universe seen from any camera: ``helios render``.

Reads a universe (a ``helios build`` output, or the ``universe/`` of a workflow
output) cell by cell, so memory is bounded by the image and one cell, skips the
cells whose bounding sphere lies outside the camera's view, and draws every star
as a point source on the one photometric scale (:mod:`helios.photometry`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

from helios import photometry
from helios.cameras import Views
from helios.cell import load_cell
from helios.errors import HeliosError
from helios.grid import Grid
from helios.landmarks import Landmark
from helios.partition import INDEX_FORMAT, read_index
from helios.render.points import DEFAULT_PSF_SIGMA_PX, check_image_size, check_psf_sigma, render_points


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

    def landmark_position(self, landmark: Landmark) -> np.ndarray:
        """A landmark's position (ICRS in the file) in this universe's frame."""
        return self.grid.to_frame(np.asarray([landmark.xyz]))[0]

    def cells_in_view(self, views: Views, psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX) -> list[dict[str, Any]]:
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


def _sphere_in_view(entry: dict[str, Any], views: Views, c: int, psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX) -> bool:
    """Whether a cell's bounding sphere (widened by the point-spread function's reach) meets camera ``c``'s frustum."""
    view = views.viewmats[c].double().numpy()
    K = views.Ks[c].double().numpy()
    centre = view[:3, :3] @ np.asarray(entry["centre_pc"], dtype=np.float64) + view[:3, 3]
    radius = float(entry["radius_pc"])
    if float(np.linalg.norm(centre)) <= radius:
        return True  # the camera is inside the sphere
    reach_px = 4 * max(psf_sigma_px, DEFAULT_PSF_SIGMA_PX) + 1
    half_x = math.atan((max(K[0, 2], views.width - K[0, 2]) + reach_px) / K[0, 0])
    half_y = math.atan((max(K[1, 2], views.height - K[1, 2]) + reach_px) / K[1, 1])
    half_diagonal = math.atan(math.hypot(math.tan(half_x), math.tan(half_y)))
    angle_to_centre = math.acos(max(-1.0, min(1.0, centre[2] / np.linalg.norm(centre))))
    return angle_to_centre - math.asin(min(1.0, radius / np.linalg.norm(centre))) <= half_diagonal


def render_sky(universe: Universe, views: Views, psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX, device: str | torch.device = "cpu",
               progress: Any = None) -> np.ndarray:
    """``[C, H, W, 3]`` float32 linear flux images: every star of the universe as a point.

    Raises :class:`helios.render.points.RenderError` for an image or a PSF beyond the renderer's bounds.
    """
    check_image_size(views.width, views.height)
    check_psf_sigma(psf_sigma_px)
    image = torch.zeros((len(views), views.height, views.width, 3), dtype=torch.float64, device=device)
    cells = universe.cells_in_view(views, psf_sigma_px)
    for done, entry in enumerate(cells, 1):
        cell = universe.read(entry)
        render_points(cell.positions, cell.colours, cell.abs_mag, views, psf_sigma_px, device, out=image)
        if progress is not None and (done % 100 == 0 or done == len(cells)):
            progress(f"rendered {done}/{len(cells)} cells in view")
    return image.float().cpu().numpy()


#: Renders draw a Gaussian wider than 8 px on a grid up to this many pixels coarse (:func:`helios.render.glow.pitches`):
#: the near cells the rule draws at coarse levels have few Gaussians, hundreds of pixels wide.
GLOW_MAX_PITCH = 64


def draw_level(cell: CellPoints, keep: int, gaussians: Any, views: Views, out: torch.Tensor,
               psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX, device: str | torch.device = "cpu", coarse: Any = None) -> None:
    """Add a cell's ``keep`` brightest stars as points and ``gaussians`` (or none) as light to ``out``; the
    light of wide Gaussians goes to ``coarse`` (:class:`helios.render.glow.CoarseGrids`) when given, for
    the caller to add once every cell is drawn."""
    from helios.render.glow import render_glow

    render_points(cell.positions[:keep], cell.colours[:keep], cell.abs_mag[:keep], views, psf_sigma_px, device, out=out)
    if gaussians is not None and len(gaussians):
        render_glow(*gaussians.tensors(device), views, psf_sigma_px, out=out, max_pitch=GLOW_MAX_PITCH, coarse=coarse)


def render_sky_levels(universe: Universe, views: Views, source: Any, psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX,
                      device: str | torch.device = "cpu", limiting_mag: float | None = photometry.DEFAULT_LIMITING_MAG,
                      ) -> tuple[np.ndarray, dict[str, int]]:
    """``[1, H, W, 3]`` linear flux of camera 0 with each cell at the level the rule picks
    (:mod:`helios.lod.rule`, guarded at ``limiting_mag``) from those ``source``
    (:class:`helios.lod.sources.LevelSource`) has for it, and how many cells were drawn at each level
    (``"points"`` or the fraction).  Raises :class:`helios.render.points.RenderError` for an image or a
    PSF beyond the renderer's bounds or a limiting magnitude that is not a finite number (or None)."""
    from helios.lod.rule import choose_level_in_view
    from helios.render.glow import CoarseGrids
    from helios.render.points import RenderError

    check_image_size(views.width, views.height)
    check_psf_sigma(psf_sigma_px)
    if limiting_mag is not None and not math.isfinite(limiting_mag):
        raise RenderError(f"limiting magnitude {limiting_mag}: give a finite magnitude")
    image = torch.zeros((1, views.height, views.width, 3), dtype=torch.float64, device=device)
    coarse = CoarseGrids(1, views.height, views.width)
    drawn: dict[str, int] = {}
    for entry in universe.cells_in_view(views, psf_sigma_px):
        cell = universe.read(entry)
        chosen = choose_level_in_view(source.ladder(cell), entry, views, limiting_mag)
        if chosen is None:
            render_points(cell.positions, cell.colours, cell.abs_mag, views, psf_sigma_px, device, out=image)
            drawn["points"] = drawn.get("points", 0) + 1
            continue
        draw_level(cell, chosen.n_points, source.gaussians(cell, chosen), views, image, psf_sigma_px, device, coarse)
        drawn[f"{chosen.fraction:g}"] = drawn.get(f"{chosen.fraction:g}", 0) + 1
    return coarse.add_to(image).float().cpu().numpy(), drawn
