"""Levels against every star as a point: images of a universe at equal bytes, and their scores.

For a camera and a level fraction ``f``, every cell farther than ``near_factor`` bounding radii from
the camera is drawn at that fraction (the cells whose bounding sphere holds the camera stay every star as a point), by one of
three methods; with ``f = None`` each cell is drawn at the fraction the level rule picks for it
(:mod:`helios.lod.rule`, with its photometric guard at the limiting magnitude), or as points:

- ``points``: every star as a point (the reference);
- ``cut``: the magnitude cut, the ``f N`` brightest stars and nothing for the rest (what Gaia Sky
  and Celestia do);
- ``clustered``: the level's brightest stars as points and the light of the rest in untrained
  Gaussians (:mod:`helios.lod.cluster`), ``point_share`` of its bytes on the points;
- ``trained``: the same level as the workflow trained it (a :class:`helios.lod.sources.TrainedLevels`
  given as ``trained``; a cell without trained levels is drawn as points).  Several trained runs
  compare side by side when ``trained`` maps method names to sources (their ladders must agree: each
  source's level of the same ``number`` is drawn).

Scores compare tone-mapped images (``docs/photometry.md``): PSNR and SSIM, the total flux's
relative error, and star completeness (the stars visible in the reference, at or brighter than the
limiting magnitude, that the level image shows within 1 px at half their reference brightness or more).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from pytorch_msssim import ssim
from scipy.ndimage import maximum_filter

from helios import photometry
from helios.cameras import Views, camera_position
from helios.errors import HeliosError
from helios.lod.cluster import cluster_gaussians
from helios.lod.gaussians import GlowGaussians
from helios.lod.ladder import DEFAULT_POINT_SHARE, GAUSSIAN_BYTES, POINT_BYTES, Level, cell_ladder, level, magnitude_cut
from helios.lod.rule import choose_level_in_view
from helios.measure import project
from helios.render.glow import CoarseGrids
from helios.render.sky import draw_level

METHODS = ("points", "cut", "clustered")


@dataclass
class LevelImages:
    """Linear images by method, and the stars visible in the reference."""

    images: dict[str, np.ndarray]
    visible_xy: np.ndarray  # [V, 2] pixel positions of the reference's visible stars
    bytes: dict[str, int] = field(default_factory=dict)
    drawn: dict[str, int] = field(default_factory=dict)  # cells in view by what they were drawn as: "points" or a level's fraction


class LevelCache:
    """Clustered Gaussians by cell and level: they do not depend on the camera."""

    def __init__(self, seed: int = 0, device: str | torch.device = "cpu") -> None:
        self.seed, self.device = seed, device
        self._store: dict[tuple[str, float, int, int], tuple[int, GlowGaussians]] = {}

    def get(self, cell: Any, chosen: Level) -> tuple[int, GlowGaussians]:
        """The ``chosen`` level's point count and its Gaussians clustered from the other stars."""
        key = (cell.cell_id, chosen.fraction, chosen.n_points, chosen.n_gaussians)
        if key not in self._store:
            rest = slice(chosen.n_points, None)
            radius = float(np.linalg.norm(cell.positions - cell.positions.mean(0), axis=1).max()) if len(cell.abs_mag) > 1 else 1.0
            gaussians = cluster_gaussians(cell.positions[rest], photometry.luminosity(cell.abs_mag[rest]), cell.colours[rest],
                                          chosen.n_gaussians, self.seed, floor_pc=1e-4 * max(radius, 1e-6),
                                          device=self.device)
            self._store[key] = (chosen.n_points, gaussians)
        return self._store[key]


def visible_xy(cell: Any, views: Views, eye: np.ndarray, limiting_mag: float = photometry.DEFAULT_LIMITING_MAG) -> np.ndarray:
    """Pixel positions ``[V, 2]`` of a cell's stars at or brighter than ``limiting_mag`` inside camera 0's image."""
    magnitude = photometry.apparent_magnitude(cell.abs_mag, np.linalg.norm(cell.positions - eye, axis=1))
    x, y, depth = project(cell.positions, views)
    shown = (magnitude <= limiting_mag) & (depth > 0) & (x >= 0) & (x < views.width) & (y >= 0) & (y < views.height)
    return np.stack([x[shown], y[shown]], 1)


def rule_level(cell: Any, entry: dict[str, Any], views: Views, limiting_mag: float, source: Any = None,
               point_share: float = DEFAULT_POINT_SHARE) -> Level | None:
    """The level the level rule draws ``cell`` at from camera 0 (``None``: points), chosen from the
    levels ``source`` has for it (default: the default ladder, ``point_share`` of its bytes on points)."""
    levels = cell_ladder(cell.abs_mag, point_share) if source is None else source.ladder(cell)
    return choose_level_in_view(levels, entry, views, limiting_mag)


def level_of_fraction(levels: Sequence[Level], fraction: float) -> Level | None:
    """The level of ``levels`` (a cell's ladder) of ``fraction`` as given (a config's or a command line's number),
    or ``None``: the cell has none."""
    return next((lv for lv in levels if math.isclose(lv.fraction, fraction, rel_tol=1e-9, abs_tol=0.0)), None)


def same_level(levels: Sequence[Level], planned: Level) -> Level:
    """The level of ``levels`` (another source's ladder of the same cell) numbered as ``planned``."""
    found = next((lv for lv in levels if planned.number is not None and lv.number == planned.number), None)
    if found is None:
        raise HeliosError(f"no level number {planned.number} (fraction {planned.fraction:g}) among {[lv.number for lv in levels]}: "
                          "the sources' ladders must agree")
    return found


def level_images(universe: Any, views: Views, fraction: float | None, methods: Iterable[str] = METHODS,
                 near_factor: float = 1.0, limiting_mag: float = photometry.DEFAULT_LIMITING_MAG,
                 cache: LevelCache | None = None, trained: Any = None, device: str | torch.device = "cpu",
                 point_share: float = DEFAULT_POINT_SHARE) -> LevelImages:
    """Render ``methods`` for camera 0 of ``views`` with every far cell at ``fraction`` (``None``: as the rule picks).
    With ``trained`` (a :class:`helios.lod.sources.LevelSource`, method ``"trained"``, or a mapping of method
    names to sources) only the cells it has that level for are drawn at a level, by every method; the others
    are points for all, at equal bytes.  Without, the levels are the ladder of ``point_share`` (the share of
    each level's bytes spent on points; with ``trained`` the first source's ladder sets it)."""
    return level_images_by_fraction(universe, views, (fraction,), methods, near_factor, limiting_mag, cache, trained, device,
                                    point_share)[fraction]


def level_images_by_fraction(universe: Any, views: Views, fractions: Sequence[float | None], methods: Iterable[str] = METHODS,
                             near_factor: float = 1.0, limiting_mag: float = photometry.DEFAULT_LIMITING_MAG,
                             cache: LevelCache | None = None, trained: Any = None, device: str | torch.device = "cpu",
                             point_share: float = DEFAULT_POINT_SHARE) -> dict[float | None, LevelImages]:
    """:func:`level_images` at each of ``fractions``, reading and drawing as points each cell once: a cell drawn
    as points at every fraction is drawn once for all, and ``points`` (every star as a point) is one image."""
    methods, fractions = list(methods), list(fractions)
    sources = trained if isinstance(trained, dict) else ({} if trained is None else {"trained": trained})
    ladder_source = next(iter(sources.values()), None)  # whose ladder the rule and the equal bytes follow
    cache = cache or LevelCache(device=device)
    shape = (1, views.height, views.width, 3)
    levelled = [m for m in methods if m != "points"]
    images = {(f, m): torch.zeros(shape, dtype=torch.float64, device=device) for f in fractions for m in levelled}
    coarse = {(f, m): CoarseGrids(1, views.height, views.width) for f in fractions for m in levelled}
    always_points = torch.zeros(shape, dtype=torch.float64, device=device)  # cells every method draws as points at every fraction
    points_at = {f: torch.zeros(shape, dtype=torch.float64, device=device) for f in fractions}  # ... at this fraction only
    other_points = torch.zeros(shape, dtype=torch.float64, device=device)  # the rest as points: with always_points, every star
    sizes = {(f, m): 0 for f in fractions for m in methods}
    drawn: dict[float | None, dict[str, int]] = {f: {} for f in fractions}
    eye = camera_position(views)
    visible = []
    for entry in universe.cells_in_view(views):
        cell = universe.read(entry)
        n = len(cell.abs_mag)
        near = np.linalg.norm(eye - np.asarray(entry["centre_pc"])) <= near_factor * float(entry["radius_pc"])
        visible.append(visible_xy(cell, views, eye, limiting_mag))
        # The level every method spends the bytes of: the one the sources have, so that (b) is their start.  A cell
        # without it (not selected by the workflow) is points for every method, so the bytes stay equal.  By the
        # rule, from the trained levels when given: every method then draws the same level (equal bytes), also
        # where the workflow trained fewer fractions than the default ladder has.
        planned = {f: None if near else _planned_level(cell, entry, views, f, limiting_mag, ladder_source, point_share)
                   for f in fractions}
        as_points = [f for f in fractions if planned[f] is None]
        for f in fractions:
            key = "points" if planned[f] is None else f"{planned[f].fraction:g}"
            drawn[f][key] = drawn[f].get(key, 0) + 1
        draw_level(cell, n, None, views, always_points if len(as_points) == len(fractions) else other_points, device=device)
        for f in fractions:
            if planned[f] is None:
                if len(as_points) < len(fractions):
                    draw_level(cell, n, None, views, points_at[f], device=device)
                for method in methods:
                    sizes[(f, method)] += n * POINT_BYTES
                continue
            if "points" in methods:
                sizes[(f, "points")] += n * POINT_BYTES
            for method in levelled:
                if method == "cut":
                    keep, gaussians = magnitude_cut(n, planned[f]), None
                elif method in sources:
                    chosen = same_level(sources[method].ladder(cell), planned[f])
                    keep, gaussians = chosen.n_points, sources[method].gaussians(cell, chosen)
                else:
                    keep, gaussians = cache.get(cell, planned[f])
                draw_level(cell, keep, gaussians, views, images[(f, method)], device=device, coarse=coarse[(f, method)])
                sizes[(f, method)] += keep * POINT_BYTES + (len(gaussians) * GAUSSIAN_BYTES if gaussians is not None else 0)
    every_star = (always_points + other_points)[0].cpu().numpy()
    found = np.concatenate(visible) if visible else np.zeros((0, 2))
    result = {}
    for f in fractions:
        finished = {m: coarse[(f, m)].add_to(images[(f, m)] + always_points + points_at[f])[0].cpu().numpy() for m in levelled}
        if "points" in methods:
            finished["points"] = every_star
        result[f] = LevelImages({m: finished[m] for m in methods}, found, {m: sizes[(f, m)] for m in methods}, drawn[f])
    return result


def _planned_level(cell: Any, entry: dict[str, Any], views: Views, fraction: float | None, limiting_mag: float, ladder_source: Any,
                   point_share: float) -> Level | None:
    if fraction is None:
        return rule_level(cell, entry, views, limiting_mag, ladder_source, point_share)
    if ladder_source is None:
        return level(len(cell.abs_mag), fraction, point_share)
    return level_of_fraction(ladder_source.ladder(cell), fraction)


def count_image(xy: np.ndarray, height: int, width: int) -> np.ndarray:
    """``[height, width]`` counts of the pixel positions ``xy`` (``[V, 2]``, inside the image) in each pixel."""
    px, py = np.asarray(xy, dtype=np.float64).reshape(-1, 2).astype(np.int64).T
    return np.bincount(py * width + px, minlength=height * width).reshape(height, width)


def scores(reference: np.ndarray, image: np.ndarray, visible_xy: np.ndarray,
           limiting_mag: float = photometry.DEFAULT_LIMITING_MAG) -> dict[str, float]:
    """PSNR (dB) and SSIM of the tone-mapped images, relative total-flux error, star completeness (the stars visible
    in the reference at ``visible_xy``)."""
    return scores_counted(reference, image, count_image(visible_xy, *reference.shape[:2]), limiting_mag)


def scores_counted(reference: np.ndarray, image: np.ndarray, visible: np.ndarray,
                   limiting_mag: float = photometry.DEFAULT_LIMITING_MAG) -> dict[str, float]:
    """:func:`scores` with the visible stars given as a count per pixel (``[H, W]``, :func:`count_image`): counts add
    up over the parts of a universe drawn apart."""
    exposure = photometry.exposure_for(limiting_mag)
    shown_ref = photometry.tone_map(exposure * reference)
    shown = photometry.tone_map(exposure * image)
    mse = float(np.mean((shown - shown_ref) ** 2))
    psnr = float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)
    nchw = [torch.as_tensor(a, dtype=torch.float32).permute(2, 0, 1)[None] for a in (shown_ref, shown)]
    similarity = float(ssim(nchw[0], nchw[1], data_range=1.0))
    flux_ref = photometry.luminance(reference.sum(axis=(0, 1), dtype=np.float64))
    flux = photometry.luminance(image.sum(axis=(0, 1), dtype=np.float64))
    luminance_ref, luminance = photometry.luminance(shown_ref), photometry.luminance(shown)
    # A star is found when the brightest pixel within 1 px of its reference pixel is at least half as bright there.
    nearby_peak = maximum_filter(luminance, size=3, mode="nearest")  # "nearest": a window clipped at the edge
    visible = np.asarray(visible, dtype=np.int64)
    total = int(visible.sum())
    found = int(visible[nearby_peak >= 0.5 * luminance_ref].sum())
    completeness = found / total if total else 1.0
    return {"psnr_db": psnr, "ssim": similarity, "flux_error": float(flux / flux_ref - 1.0), "completeness": completeness,
            "visible_stars": total}
