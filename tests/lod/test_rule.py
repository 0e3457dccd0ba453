import json
import math
from importlib import resources

import numpy as np
import pytest

from helios import photometry
from helios.lod import rule
from helios.lod.ladder import ladder, with_remainder
from helios.lod.rule import choose_level, glow_is_faint, hides_no_visible_star, projected_radius_px, rule_constants


@pytest.mark.parametrize("radius, distance", [(1.0, 2.0), (10.0, 10.5), (3.0, 1e4)])
def test_projected_radius_is_the_bounding_sphere_on_the_screen(radius, distance):
    """Points all over the sphere, seen by a pinhole camera (focal 1000 px) looking at its centre: the farthest of
    them from the centre's pixel is the projected radius away (its silhouette), none farther."""
    focal = 1000.0
    rng = np.random.default_rng(0)
    directions = rng.normal(size=(200_000, 3))
    on_sphere = np.array([0.0, 0.0, distance]) + radius * directions / np.linalg.norm(directions, axis=1)[:, None]
    seen = on_sphere[on_sphere[:, 2] > 0]
    from_centre_px = focal * np.hypot(seen[:, 0], seen[:, 1]) / seen[:, 2]
    r = projected_radius_px(radius, distance, focal)
    assert from_centre_px.max() <= r * (1 + 1e-12)
    assert from_centre_px.max() >= r * (1 - 1e-3)  # sampled: the silhouette is reached within a thousandth
    assert projected_radius_px(radius, 0.5 * radius, focal) == math.inf  # inside: it fills the screen


def test_the_rule_draws_coarser_levels_as_a_cell_shrinks_on_the_screen_and_points_when_near():
    levels = ladder(100_000)  # primitives: 900, 2,700, 9,000, 27,000
    focal, radius = 1000.0, 10.0
    distances = (5.0, 33.0, 70.0, 100.0, 200.0, 1e3, 1e5)  # inside; then r = 318, 144, 100, 50, 10, 0.1 px
    chosen = [choose_level(levels, radius, distance, focal) for distance in distances]
    assert [c.fraction if c else None for c in chosen] == [None, None, 0.3, 0.1, 0.03, 0.01, 0.01]
    for level, distance in zip(chosen, distances):  # a chosen level has enough primitives; the next coarser would not
        if level is None:
            continue
        needed = math.pi * projected_radius_px(radius, distance, focal) ** 2 / rule_constants()["pixels_per_primitive"]
        assert level.n_points + level.n_gaussians >= needed
        coarser = [other for other in levels if other.fraction < level.fraction]
        assert all(other.n_points + other.n_gaussians < needed for other in coarser)


def test_the_rule_constants_are_a_versioned_file_the_client_can_read(monkeypatch):
    """The rule's constants are plain JSON in the package's data (the site hands the same object to the client),
    naming their format and an integer version a reader can check, with every constant the rule uses a number; and
    they are what the Python rule reads: change one and its choice changes."""
    text = resources.files("helios").joinpath("data/level_rule.json").read_text(encoding="utf-8")
    constants = json.loads(text)  # what a client's JSON.parse gets: no comments, no Python-only values
    assert constants == rule_constants()
    assert isinstance(constants.get("format"), str) and constants["format"]
    assert isinstance(constants.get("version"), int) and not isinstance(constants["version"], bool) and constants["version"] >= 1
    for key in ("pixels_per_primitive", "faint_glow_stars_per_pixel"):
        assert isinstance(constants.get(key), (int, float)) and math.isfinite(constants[key]) and constants[key] > 0, key
    levels, radius, distance, focal = ladder(100_000), 10.0, 100.0, 1000.0  # r = 100 px: the 10 % level by the file's constants
    by_the_file = choose_level(levels, radius, distance, focal)
    monkeypatch.setattr(rule, "rule_constants", lambda: {**constants, "pixels_per_primitive": 4 * constants["pixels_per_primitive"]})
    assert choose_level(levels, radius, distance, focal).n_gaussians < by_the_file.n_gaussians  # fewer primitives asked


def test_the_photometric_guard_keeps_every_star_visible_from_the_cell_as_a_point():
    """5,000 stars of M = -5 are seen at 5 mag from 1 kpc: the 1 % level, enough on the screen, would carry them in
    Gaussians; the guarded rule draws the 10 % level, which keeps them as points.  From 10 kpc they are at 10 mag:
    the 1 % level is fine.  From 100 pc the 10 % level would hide stars of M = 0.5 (5.2 mag): the 30 % level keeps
    them; from 58 pc even its Gaussians carry visible stars (M = 3, 6.4 mag): every star a point."""
    n = 100_000
    abs_mag = np.sort(np.r_[np.full(5000, -5.0), np.linspace(0.0, 15.0, n - 5000)])
    levels = with_remainder(ladder(n), abs_mag)
    assert [lv.remainder_abs_mag for lv in levels] == [abs_mag[lv.n_points] for lv in levels]
    assert levels[0].remainder_abs_mag == -5.0 and levels[-1].remainder_abs_mag > 0
    focal, radius = 1000.0, 10.0
    for distance, unguarded, guarded in ((1e4, 0.01, 0.01), (1e3, 0.01, 0.1), (100.0, 0.1, 0.3), (58.0, 0.3, None)):
        # The stars one would see from some point of the bounding sphere: at 6.5 or brighter from its nearest point.
        visible = np.flatnonzero(photometry.apparent_magnitude(abs_mag, distance - radius) <= 6.5)
        without_guard = choose_level(levels, radius, distance, focal)
        assert without_guard.fraction == unguarded
        chosen = choose_level(levels, radius, distance, focal, limiting_mag=6.5)
        assert (chosen.fraction if chosen else None) == guarded
        kept_as_points = len(abs_mag) if chosen is None else chosen.n_points  # a prefix: the brightest stars
        assert np.all(visible < kept_as_points)  # every visible star is a point, none in a Gaussian
        if guarded != unguarded:  # where the guard changed the choice, the screen's choice would have hidden some
            assert np.any(visible >= without_guard.n_points)
    assert hides_no_visible_star(with_remainder(ladder(3, min_stars=1), np.zeros(3))[0], 1.0, 2.0, 6.5) is False
    assert hides_no_visible_star(ladder(3, min_stars=1)[0], 1.0, 2.0, 6.5)  # magnitude not known: nothing to guard


def test_a_near_wide_cell_of_faint_stars_is_drawn_coarse_when_its_glow_is_too_faint_to_see():
    """A cell 354 px wide on the screen would need 98,000 primitives.  Its 100,000 stars of M = 15, at 16.5 mag
    or fainter from the cell's nearest point, carry at most 10 stars of 6.5 mag: spread over the disc, far
    below what a display shows, so the coarsest level will do.  The same cell of M = 6 stars, each still
    invisible (7.5 mag) but together a visible glow, is drawn as points."""
    focal, radius, distance, n = 1000.0, 10.0, 30.0, 100_000
    faint = with_remainder(ladder(n), np.full(n, 15.0))
    assert choose_level(faint, radius, distance, focal) is None  # the screen alone asks for every star
    chosen = choose_level(faint, radius, distance, focal, limiting_mag=6.5)
    assert chosen is not None and chosen.fraction == 0.01 and glow_is_faint(chosen, radius, distance, focal, 6.5)
    glowing = with_remainder(ladder(n), np.full(n, 6.0))
    assert all(hides_no_visible_star(level, radius, distance, 6.5) for level in glowing)
    assert not any(glow_is_faint(level, radius, distance, focal, 6.5) for level in glowing)
    assert choose_level(glowing, radius, distance, focal, limiting_mag=6.5) is None
    assert not glow_is_faint(ladder(n)[0], radius, distance, focal, 6.5)  # brightest remainder unknown: no bound
