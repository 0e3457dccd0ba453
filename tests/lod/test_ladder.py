import numpy as np
import pytest

from helios.lod.ladder import (
    DEFAULT_MIN_STARS,
    DEFAULT_POINT_SHARE,
    GAUSSIAN_BYTES,
    LEVEL_FRACTIONS,
    POINT_BYTES,
    cell_ladder,
    ladder,
    level,
    magnitude_cut,
)


@pytest.mark.parametrize("point_share", [0.5, DEFAULT_POINT_SHARE, 0.95])
@pytest.mark.parametrize("n_stars", [10_000, 123_457, 3_000_000])
def test_levels_spend_their_fraction_on_points_and_gaussians_in_the_point_share(n_stars, point_share):
    for fraction, chosen in zip(LEVEL_FRACTIONS, ladder(n_stars, point_share=point_share), strict=True):
        budget = fraction * n_stars * POINT_BYTES
        assert budget - POINT_BYTES - GAUSSIAN_BYTES < chosen.bytes <= budget
        assert abs(chosen.n_points * POINT_BYTES - point_share * budget) <= POINT_BYTES
        assert abs(chosen.n_gaussians * GAUSSIAN_BYTES - (1 - point_share) * budget) <= GAUSSIAN_BYTES
        assert chosen.n_gaussians > 0
        assert chosen.bytes - POINT_BYTES < magnitude_cut(n_stars, chosen) * POINT_BYTES <= chosen.bytes


def test_the_default_point_share_is_the_ladder_of_no_share_given():
    """0.8 of a level's bytes on points (BENCHMARKS.md): what every ladder without a share is, level for level."""
    assert DEFAULT_POINT_SHARE == 0.8
    assert ladder(123_457) == ladder(123_457, LEVEL_FRACTIONS, 0.8) != ladder(123_457, LEVEL_FRACTIONS, 0.5)
    assert level(123_457, 0.1) == level(123_457, 0.1, 0.8)
    abs_mag = np.linspace(-2.0, 12.0, 5000)
    assert cell_ladder(abs_mag, 0.5) != cell_ladder(abs_mag) == cell_ladder(abs_mag, 0.8)
    assert [lv.n_points for lv in cell_ladder(abs_mag, 0.5)] == [lv.n_points for lv in ladder(5000, point_share=0.5)]


def test_a_ladders_levels_are_numbered_from_the_coarsest():
    levels = ladder(10_000, (0.02, 0.2, 0.5))
    assert [lv.number for lv in levels] == [1, 2, 3] and [lv.fraction for lv in levels] == [0.02, 0.2, 0.5]
    assert [lv.number for lv in cell_ladder(np.zeros(300))] == [1, 2, 3, 4]  # kept through with_remainder
    assert level(10_000, 0.2).number is None  # a level made alone is in no ladder


@pytest.mark.parametrize("point_share", [0.0, 1.0, -0.2, 1.5])
def test_a_point_share_outside_zero_to_one_is_refused(point_share):
    with pytest.raises(ValueError, match="point share"):
        level(10_000, 0.1, point_share)


def test_tiny_cells_keep_a_point_and_a_gaussian_while_stars_remain():
    assert (level(1, 0.01).n_points, level(1, 0.01).n_gaussians) == (level(1, 0.3).n_points, level(1, 0.3).n_gaussians) == (1, 0)
    small = level(50, 0.01)
    assert small.n_points == 1 and small.n_gaussians == 1
    assert magnitude_cut(50, small) == 3  # the bytes of a point and a Gaussian
    few = level(500, 0.01)  # 80 bytes: the Gaussians' share pays for none, so the one Gaussian takes bytes from the points
    assert (few.n_points, few.n_gaussians, few.bytes) == (3, 1, 80)
    with pytest.raises(ValueError, match="between 0 and 1"):
        level(10, 1.0)


def test_a_cell_of_fewer_stars_than_the_minimum_has_no_levels():
    """Below ``min_stars`` (default 256) a cell is always drawn as points: its ladder is empty."""
    assert ladder(DEFAULT_MIN_STARS - 1) == [] == cell_ladder(np.zeros(DEFAULT_MIN_STARS - 1))
    assert len(ladder(DEFAULT_MIN_STARS)) == len(LEVEL_FRACTIONS) == len(cell_ladder(np.zeros(DEFAULT_MIN_STARS)))
    assert [lv.n_points for lv in ladder(3, min_stars=1)] == [1, 1, 1, 1] and ladder(3, min_stars=4) == []
