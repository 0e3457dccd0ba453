"""The ladder of levels of a cell, sized in bytes of the pack (``docs/levels.md``).

Level 0 is every star as a point.  A level of fraction ``f`` costs ``f`` times the bytes of all the
cell's points: a share of them (``point_share``, the config's ``levels.point_share``, by default
``DEFAULT_POINT_SHARE``) is spent on its brightest stars as points (a prefix of the cell, which is
stored brightest first), the rest on Gaussians that carry the light of all the other stars.  The
magnitude cut at the same bytes keeps as many of the brightest stars as those bytes pay for (about
``f N``) and drops the rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

#: Bytes of one point in the pack: position (3 float32), absolute magnitude (float16), colour (RGB565).
POINT_BYTES = 16
#: Bytes of one Gaussian: mean (3 float32), log-scales (3 float16), rotation (4 float16),
#: absolute magnitude (float16), colour (RGB565), 2 spare.
GAUSSIAN_BYTES = 32
#: The fractions of a cell's all-points bytes that its levels cost, coarsest first.
LEVEL_FRACTIONS = (0.01, 0.03, 0.10, 0.30)
#: Share of a level's bytes spent on points, unless given (``levels.point_share``).  0.8 beat 0.5 and came close
#: to 0.95 at 1920 x 1080 at equal bytes, and lets the level rule draw fewer bytes (BENCHMARKS.md, "The share of
#: a level's bytes spent on points").  A default: pass another share, never reassign this.
DEFAULT_POINT_SHARE = 0.8
#: A cell of fewer stars gets no levels and is always drawn as points, unless given (``levels.min_stars``): so few
#: stars are no density a few Gaussians could stand for, and the light of coarse levels crossing the image's edge
#: came out percents wrong (BENCHMARKS.md, "Do the levels keep their light?"); all its points cost under 4 KB.
DEFAULT_MIN_STARS = 256


@dataclass(frozen=True)
class Level:
    fraction: float
    n_points: int  # the brightest stars, drawn as points
    n_gaussians: int  # Gaussians for the light of the other stars
    #: Absolute magnitude of the brightest star the Gaussians carry (the first after the point prefix);
    #: ``inf`` when there is none, or when not known (then the level rule cannot guard it).
    remainder_abs_mag: float = math.inf
    #: Stars whose light the Gaussians carry (``0``: none, or not known).
    remainder_stars: int = 0
    #: Its number in the cell's ladder (1: the coarsest; the ``level`` of a cell's trained levels), by which a
    #: level source finds its Gaussians; ``None`` for a level made alone (:func:`level`).
    number: int | None = None

    @property
    def bytes(self) -> int:
        return self.n_points * POINT_BYTES + self.n_gaussians * GAUSSIAN_BYTES


def level(n_stars: int, fraction: float, point_share: float = DEFAULT_POINT_SHARE) -> Level:
    """The level of ``fraction`` for a cell of ``n_stars``, ``point_share`` of its bytes on points: at least one
    point, and at least one Gaussian while stars remain (a tiny cell's level may then cost a little more than its
    fraction)."""
    if not 0 < fraction < 1:
        raise ValueError(f"level fraction {fraction}: must be between 0 and 1")
    if not 0 < point_share < 1:
        raise ValueError(f"point share {point_share}: must be between 0 and 1")
    budget = fraction * n_stars * POINT_BYTES
    n_points = min(n_stars, max(1, math.floor(point_share * budget / POINT_BYTES)))
    if n_points == n_stars:
        return Level(fraction, n_points, 0, remainder_stars=0)
    n_gaussians = min(n_stars - n_points, max(1, math.floor((1 - point_share) * budget / GAUSSIAN_BYTES)))
    # A Gaussian the Gaussians' share cannot pay for takes its bytes from the points: the level stays within its budget.
    n_points = max(1, min(n_points, math.floor((budget - n_gaussians * GAUSSIAN_BYTES) / POINT_BYTES)))
    return Level(fraction, n_points, n_gaussians, remainder_stars=n_stars - n_points)


def magnitude_cut(n_stars: int, at: Level) -> int:
    """Stars kept by the magnitude cut at the bytes of the level ``at`` (at least one): where a tiny cell's
    level costs more than its fraction (a point and a Gaussian), the cut gets those bytes too."""
    return min(n_stars, max(1, at.bytes // POINT_BYTES))


def ladder(n_stars: int, fractions: tuple[float, ...] = LEVEL_FRACTIONS, point_share: float = DEFAULT_POINT_SHARE,
           min_stars: int = DEFAULT_MIN_STARS) -> list[Level]:
    """The levels of ``fractions`` (increasing) for a cell of ``n_stars``, numbered from 1; none for a cell of fewer
    than ``min_stars``."""
    if n_stars < min_stars:
        return []
    return [replace(level(n_stars, f, point_share), number=number) for number, f in enumerate(fractions, 1)]


def cell_ladder(abs_mag: np.ndarray, point_share: float = DEFAULT_POINT_SHARE, min_stars: int = DEFAULT_MIN_STARS) -> list[Level]:
    """The default fractions' ladder of a cell whose stars' absolute magnitudes (brightest first) are ``abs_mag``."""
    return with_remainder(ladder(len(abs_mag), point_share=point_share, min_stars=min_stars), abs_mag)


def with_remainder(levels: list[Level], abs_mag: np.ndarray) -> list[Level]:
    """``levels`` of a cell whose stars' absolute magnitudes (brightest first) are ``abs_mag``, each
    knowing the brightest star its Gaussians carry (what the level rule's photometric guard asks)."""
    return [replace(lv, remainder_abs_mag=float(abs_mag[lv.n_points]) if lv.n_points < len(abs_mag) else math.inf,
                    remainder_stars=max(len(abs_mag) - lv.n_points, 0)) for lv in levels]
