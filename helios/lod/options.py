"""How a cell's levels are made and trained: the config's ``levels:`` section, one options class.

:func:`helios.lod.levels.build_cell_levels` reads the ladder's fields (``fractions``, ``point_share``, ``min_stars``),
:func:`helios.lod.train.train_level` the training ones; the schema (``config/config.schema.yaml``,
section ``levels``) describes each field, and a test keeps its defaults equal to these.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from helios import photometry
from helios.config import from_mapping
from helios.errors import HeliosError
from helios.lod.ladder import DEFAULT_MIN_STARS, DEFAULT_POINT_SHARE, LEVEL_FRACTIONS


@dataclass(frozen=True)
class LevelOptions:
    """How a cell's levels are made (the config's ``levels:`` section; the schema describes each field)."""

    fractions: tuple[float, ...] = LEVEL_FRACTIONS
    iterations: int = 200
    image_size: int = 96
    views_per_iter: int = 4
    train_views: int = 24
    eval_views: int = 8
    distance_range: tuple[float, float] = (2.0, 6.0)  # bounding radii from the centre
    learning_rate: float = 0.01
    #: Levels of more Gaussians than this train at ``learning_rate * learning_rate_gaussians / K``
    #: (None: ``learning_rate`` for all).  Adam moves every parameter by about the rate each step
    #: whatever its gradient's size, so thousands of sub-pixel Gaussians seen in a few small views
    #: mostly move by noise at the rate that suits a hundred.
    learning_rate_gaussians: int | None = None
    #: False: each Gaussian keeps its cluster's luminosity-weighted colour (only shape, place and share train).
    train_colours: bool = True
    eval_every: int = 20
    #: Share of a level's bytes spent on its brightest stars as points (:func:`helios.lod.ladder.level`).
    #: Last, so that :meth:`as_dict` (each cell's levels JSON) keeps the order of the fields before it.
    point_share: float = DEFAULT_POINT_SHARE
    #: A cell of fewer stars gets no levels (:data:`helios.lod.ladder.DEFAULT_MIN_STARS`).  After ``point_share``, for
    #: the same reason.
    min_stars: int = DEFAULT_MIN_STARS

    #: Flux per pixel where the training loss turns from linear to logarithmic: a 16th of what a
    #: display exposed for magnitude 6.5 shows as its faintest grey (docs/photometry.md).  A constant,
    #: not a setting: not in the config, nor in :meth:`as_dict`.
    softening: ClassVar[float] = 1.0 / (255 * 12.92 * 16) / photometry.exposure_for(6.5)

    def __post_init__(self) -> None:
        fractions = tuple(float(f) for f in self.fractions)
        if not fractions or any(not 0 < f < 1 for f in fractions) or list(fractions) != sorted(set(fractions)):
            raise HeliosError(f"levels.fractions {list(self.fractions)}: give increasing fractions between 0 and 1")
        near, far = self.distance_range
        if not 1 < near <= far:
            raise HeliosError(f"levels.distance_range {list(self.distance_range)}: give [near, far] bounding radii, 1 < near <= far")
        if self.views_per_iter > self.train_views:
            raise HeliosError(f"levels.views_per_iter {self.views_per_iter} is more than levels.train_views {self.train_views}")
        if not 0 < self.point_share < 1:
            raise HeliosError(f"levels.point_share {self.point_share}: give a share of each level's bytes between 0 and 1 (exclusive)")
        if self.min_stars < 1:
            raise HeliosError(f"levels.min_stars {self.min_stars}: give a number of stars, at least 1")
        object.__setattr__(self, "fractions", fractions)
        object.__setattr__(self, "distance_range", (float(near), float(far)))

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> LevelOptions:
        values = dict(values)
        for key in ("fractions", "distance_range"):
            if key in values:
                values[key] = tuple(values[key])
        return from_mapping(cls, values, "levels setting(s)")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}

    def rate_for(self, n_gaussians: int) -> float:
        """The learning rate of a level of ``n_gaussians`` Gaussians."""
        reference = self.learning_rate_gaussians
        if reference is None or n_gaussians <= reference:
            return self.learning_rate
        return self.learning_rate * reference / n_gaussians
