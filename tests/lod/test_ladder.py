import pytest

from helios.lod.ladder import GAUSSIAN_BYTES, LEVEL_FRACTIONS, POINT_BYTES, ladder, level, magnitude_cut


@pytest.mark.parametrize("n_stars", [10_000, 123_457, 3_000_000])
def test_levels_spend_their_fraction_half_on_points_half_on_gaussians(n_stars):
    for fraction, chosen in zip(LEVEL_FRACTIONS, ladder(n_stars)):
        budget = fraction * n_stars * POINT_BYTES
        assert budget - POINT_BYTES - GAUSSIAN_BYTES < chosen.bytes <= budget
        assert abs(chosen.n_points * POINT_BYTES - chosen.n_gaussians * GAUSSIAN_BYTES) <= GAUSSIAN_BYTES
        assert magnitude_cut(n_stars, fraction) * POINT_BYTES <= budget


def test_tiny_cells_keep_a_point_and_a_gaussian_while_stars_remain():
    assert (level(1, 0.01).n_points, level(1, 0.01).n_gaussians) == (level(1, 0.3).n_points, level(1, 0.3).n_gaussians) == (1, 0)
    small = level(50, 0.01)
    assert small.n_points == 1 and small.n_gaussians == 1
    assert magnitude_cut(50, 0.01) == 1
    with pytest.raises(ValueError, match="between 0 and 1"):
        level(10, 1.0)
