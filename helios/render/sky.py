"""The assembled universe seen from any camera: ``helios render``.

Draws a universe (:class:`helios.universe.Universe`) cell by cell, so memory is bounded by the image and
one cell, skipping the cells whose bounding sphere lies outside the camera's view: every star as a point
source on the one photometric scale (:mod:`helios.photometry`), or each cell at the level the rule picks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from helios import photometry
from helios.cameras import Views
from helios.render.points import DEFAULT_PSF_SIGMA_PX, check_image_size, check_psf_sigma, render_points
from helios.universe import CellPoints, Universe


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
