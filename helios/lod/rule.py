"""Which level of a cell to draw: one rule, for ``helios render`` and the browser client alike.

A level is good enough when it has at least one primitive (point or Gaussian) for every
``PIXELS_PER_PRIMITIVE`` pixels the cell covers on the screen; the rule draws the coarsest level
that is good enough, and every star as a point (level 0) when none is or when the camera is
inside the cell's bounding sphere.  The cell covers ``pi r^2`` pixels, ``r = f tan(asin(R / d))``
its projected bounding radius (``f`` the focal length in pixels, ``R`` the bounding radius, ``d``
the camera's distance to the centre).  The constants live in ``helios/data/level_rule.json``,
which the client reads too (``docs/levels.md``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

from helios.lod.ladder import Level


@lru_cache(maxsize=1)
def rule_constants() -> dict[str, float]:
    return json.loads(resources.files("helios").joinpath("data/level_rule.json").read_text(encoding="utf-8"))


def projected_radius_px(radius: float, distance: float, focal_px: float) -> float:
    """The bounding sphere's radius on the screen, in pixels (infinite when the camera is inside it)."""
    if distance <= radius:
        return math.inf
    return focal_px * math.tan(math.asin(radius / distance))


def choose_level(levels: Sequence[Level], radius: float, distance: float, focal_px: float) -> Level | None:
    """The coarsest good-enough level of ``levels`` (any order), or ``None``: every star as a point."""
    r = projected_radius_px(radius, distance, focal_px)
    if not math.isfinite(r):
        return None
    needed = math.pi * r * r / rule_constants()["pixels_per_primitive"]
    good = [level for level in levels if level.n_points + level.n_gaussians >= needed]
    return min(good, key=lambda level: level.n_points + level.n_gaussians) if good else None
