import math

import pytest

from helios.lod.ladder import ladder
from helios.lod.rule import choose_level, projected_radius_px, rule_constants


def test_projected_radius_is_the_bounding_sphere_on_the_screen():
    assert projected_radius_px(1.0, 0.5, 1000.0) == math.inf
    assert projected_radius_px(1.0, 2.0, 1000.0) == pytest.approx(1000.0 * math.tan(math.pi / 6))
    assert projected_radius_px(1.0, 1e6, 1000.0) == pytest.approx(1e-3)


def test_the_rule_draws_coarser_levels_as_a_cell_shrinks_on_the_screen_and_points_when_near():
    levels = ladder(100_000)  # primitives: 750, 2,250, 7,500, 22,500
    focal, radius = 1000.0, 10.0
    distances = (5.0, 33.0, 100.0, 200.0, 1e3, 1e5)  # inside; then r = 303, 100, 50, 10, 0.1 px
    chosen = [choose_level(levels, radius, distance, focal) for distance in distances]
    assert [c.fraction if c else None for c in chosen] == [None, None, 0.3, 0.03, 0.01, 0.01]
    for level, distance in zip(chosen, distances):  # a chosen level has enough primitives; the next coarser would not
        if level is None:
            continue
        needed = math.pi * projected_radius_px(radius, distance, focal) ** 2 / rule_constants()["pixels_per_primitive"]
        assert level.n_points + level.n_gaussians >= needed
        coarser = [other for other in levels if other.fraction < level.fraction]
        assert all(other.n_points + other.n_gaussians < needed for other in coarser)


def test_the_rule_constants_are_a_versioned_file_the_client_can_read():
    constants = rule_constants()
    assert constants["format"] == "helios-level-rule" and constants["version"] == 1 and constants["pixels_per_primitive"] > 0
