"""Which level of a cell to draw: one rule, for ``helios render`` and the browser client alike.

A level is good enough when it has at least one primitive (point or Gaussian) for every
``PIXELS_PER_PRIMITIVE`` pixels the cell covers on the screen; the rule draws the coarsest level
that is good enough, and every star as a point (level 0) when none is or when the camera is
inside the cell's bounding sphere.  The cell covers ``pi r^2`` pixels, ``r = f tan(asin(R / d))``
its projected bounding radius (``f`` the focal length in pixels, ``R`` the bounding radius, ``d``
the camera's distance to the centre).

Given the display's limiting magnitude, a level is also good enough only when every star its
Gaussians carry is fainter than that magnitude from the nearest point of the cell's bounding sphere
(distance ``d - R``): the stars one would see stay points, and only light nobody sees as a star is
carried by Gaussians.  The stars are stored brightest first, so the brightest of them is the first
after the level's point prefix (``remainder_abs_mag``).

A guarded level is also good enough, whatever its primitive count, when the light its Gaussians carry
is too faint to show as a glow: at most ``faint_glow_stars_per_pixel`` limiting-magnitude stars per
pixel of the projected disc.  The light is bounded from the cell's directory alone (no star of the
remainder is brighter than its first): ``n_r 10^(-0.4 (m_r - m_lim))`` limiting-magnitude stars, ``n_r``
the stars the Gaussians carry and ``m_r`` the first one's magnitude from the nearest point.  This is
what lets levels pay off for the near, wide cells around an observer inside the Galaxy.  The constants live in
``helios/data/level_rule.json``, which the client reads too (``docs/levels.md``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np

from helios.lod.ladder import Level

if TYPE_CHECKING:  # the rule itself is arithmetic: the site reads its constants without torch
    from helios.cameras import Views


@lru_cache(maxsize=1)
def rule_constants() -> dict[str, float]:
    return json.loads(resources.files("helios").joinpath("data/level_rule.json").read_text(encoding="utf-8"))


def projected_radius_px(radius: float, distance: float, focal_px: float) -> float:
    """The bounding sphere's radius on the screen, in pixels (infinite when the camera is inside it)."""
    if distance <= radius:
        return math.inf
    return focal_px * math.tan(math.asin(radius / distance))


def remainder_mag_at_nearest(level: Level, radius: float, distance: float) -> float:
    """Apparent magnitude of the brightest star ``level``'s Gaussians carry, seen from the nearest point of
    the bounding sphere (radius ``radius``, its centre ``distance`` away): the brightest it can look from outside."""
    nearest = max(distance - radius, 1e-9)
    return level.remainder_abs_mag + 5.0 * math.log10(nearest / 10.0)


def hides_no_visible_star(level: Level, radius: float, distance: float, limiting_mag: float) -> bool:
    """Whether the brightest star ``level``'s Gaussians carry is fainter than ``limiting_mag`` seen
    from anywhere outside the bounding sphere (radius ``radius``, its centre ``distance`` away)."""
    if math.isinf(level.remainder_abs_mag):
        return True
    return remainder_mag_at_nearest(level, radius, distance) > limiting_mag


def glow_is_faint(level: Level, radius: float, distance: float, focal_px: float, limiting_mag: float) -> bool:
    """Whether the light ``level``'s Gaussians carry, spread over the cell's projected disc, is at most
    ``faint_glow_stars_per_pixel`` stars of ``limiting_mag`` per pixel (an upper bound: every star it
    carries counted as bright as its brightest, at the nearest point of the bounding sphere)."""
    if level.remainder_stars == 0 or math.isinf(level.remainder_abs_mag):
        return level.remainder_stars == 0
    r = projected_radius_px(radius, distance, focal_px)
    brightest = remainder_mag_at_nearest(level, radius, distance)
    in_limit_stars = level.remainder_stars * 10.0 ** (-0.4 * (brightest - limiting_mag))
    return in_limit_stars <= rule_constants()["faint_glow_stars_per_pixel"] * math.pi * r * r


def choose_level(levels: Sequence[Level], radius: float, distance: float, focal_px: float,
                 limiting_mag: float | None = None) -> Level | None:
    """The coarsest good-enough level of ``levels`` (any order), or ``None``: every star as a point.
    With ``limiting_mag``, a level must also hide no star visible at that magnitude, and it may have
    fewer primitives than the screen asks when the light its Gaussians carry is too faint to see."""
    r = projected_radius_px(radius, distance, focal_px)
    if not math.isfinite(r):
        return None
    needed = math.pi * r * r / rule_constants()["pixels_per_primitive"]
    if limiting_mag is None:
        good = [level for level in levels if level.n_points + level.n_gaussians >= needed]
    else:
        good = [level for level in levels if hides_no_visible_star(level, radius, distance, limiting_mag)
                and (level.n_points + level.n_gaussians >= needed or glow_is_faint(level, radius, distance, focal_px, limiting_mag))]
    return min(good, key=lambda level: level.n_points + level.n_gaussians) if good else None


def choose_level_in_view(levels: Sequence[Level], entry: dict[str, Any], views: Views, limiting_mag: float | None = None) -> Level | None:
    """:func:`choose_level` for a cell (its index entry: ``centre_pc``, ``radius_pc``) seen by camera 0 of ``views``."""
    from helios.cameras import camera_position

    distance = float(np.linalg.norm(camera_position(views) - np.asarray(entry["centre_pc"])))
    return choose_level(levels, float(entry["radius_pc"]), distance, float(views.Ks[0, 0, 0]), limiting_mag)
