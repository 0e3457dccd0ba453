import pytest

from helios.lod.ladder import GAUSSIAN_BYTES, LEVEL_FRACTIONS, POINT_BYTES, POINT_SHARE, ladder, level, magnitude_cut


@pytest.mark.parametrize("n_stars", [10_000, 123_457, 3_000_000])
def test_levels_spend_their_fraction_on_points_and_gaussians_in_the_point_share(n_stars):
    for fraction, chosen in zip(LEVEL_FRACTIONS, ladder(n_stars)):
        budget = fraction * n_stars * POINT_BYTES
        assert budget - POINT_BYTES - GAUSSIAN_BYTES < chosen.bytes <= budget
        assert abs(chosen.n_points * POINT_BYTES - POINT_SHARE * budget) <= POINT_BYTES
        assert abs(chosen.n_gaussians * GAUSSIAN_BYTES - (1 - POINT_SHARE) * budget) <= GAUSSIAN_BYTES
        assert chosen.n_gaussians > 0
        assert chosen.bytes - POINT_BYTES < magnitude_cut(n_stars, chosen) * POINT_BYTES <= chosen.bytes


def test_tiny_cells_keep_a_point_and_a_gaussian_while_stars_remain():
    assert (level(1, 0.01).n_points, level(1, 0.01).n_gaussians) == (level(1, 0.3).n_points, level(1, 0.3).n_gaussians) == (1, 0)
    small = level(50, 0.01)
    assert small.n_points == 1 and small.n_gaussians == 1
    assert magnitude_cut(50, small) == 3  # the bytes of a point and a Gaussian
    few = level(500, 0.01)  # 80 bytes: the Gaussians' share pays for none, so the one Gaussian takes bytes from the points
    assert (few.n_points, few.n_gaussians, few.bytes) == (3, 1, 80)
    with pytest.raises(ValueError, match="between 0 and 1"):
        level(10, 1.0)
