"""Levels against points on the embedded Hipparcos sample (stars within a few hundred pc), seen from 3 kpc
above the Sun, far enough for a cluster's stars to be at about one distance from the camera."""

import numpy as np
import pytest

from helios.cameras import pinhole
from helios.errors import HeliosError
from helios.lod.compare import LevelCache, level_images, level_of_fraction, same_level, scores
from helios.lod.ladder import ladder
from helios.universe import Universe


@pytest.fixture(scope="module")
def above(sample_universe):
    universe = Universe(sample_universe)
    views = pinhole(np.array([0.0, 0.0, 3000.0]), np.zeros(3), 60.0, 128, 128, up=np.array([1.0, 0.0, 0.0]))
    return universe, views, level_images(universe, views, 0.01, limiting_mag=9.0, cache=LevelCache())


def test_points_against_themselves_score_perfectly(above):
    _, _, result = above
    perfect = scores(result.images["points"], result.images["points"], result.visible_xy, 9.0)
    assert perfect["psnr_db"] == float("inf") and perfect["ssim"] == pytest.approx(1.0) and perfect["completeness"] == 1.0
    assert perfect["flux_error"] == 0.0 and perfect["visible_stars"] > 100


def test_cells_every_method_draws_as_points_are_drawn_once_for_all(sample_universe):
    """From the Sun the cells around it are points for every method (drawn once, added to each image): the
    reference is every star once, and those cells' stars are in every method's image and bytes."""
    from helios.render.sky import render_sky

    universe = Universe(sample_universe)
    views = pinhole(np.zeros(3), np.array([0.0, 0.0, 100.0]), 60.0, 96, 64, up=np.array([1.0, 0.0, 0.0]))
    result = level_images(universe, views, 0.01, ("points", "cut", "clustered"), limiting_mag=6.5, cache=LevelCache())
    reference = render_sky(universe, views)[0]
    assert np.allclose(result.images["points"], reference, rtol=1e-5, atol=1e-12) and reference.sum() > 0
    around = [e for e in universe.cells_in_view(views) if np.linalg.norm(e["centre_pc"]) <= e["radius_pc"]]
    assert around and all(result.bytes[m] >= 16 * sum(e["star_count"] for e in around) for m in ("cut", "clustered"))
    assert result.images["cut"].sum() > 0.5 * reference.sum()


def test_clustered_gaussians_keep_the_light_that_the_magnitude_cut_drops(above):
    _, _, result = above
    reference = result.images["points"]
    cut = scores(reference, result.images["cut"], result.visible_xy, 9.0)
    clustered = scores(reference, result.images["clustered"], result.visible_xy, 9.0)
    assert cut["flux_error"] < -0.3 and abs(clustered["flux_error"]) < 0.015
    assert clustered["psnr_db"] > cut["psnr_db"] + 2.0
    assert abs(result.bytes["clustered"] - result.bytes["cut"]) <= 0.01 * result.bytes["points"]
    assert result.bytes["cut"] < 0.2 * result.bytes["points"]


def test_scores_see_a_missing_star(above):
    _, _, result = above
    reference = result.images["points"]
    x, y = result.visible_xy[0]
    damaged = reference.copy()
    damaged[int(y) - 3:int(y) + 4, int(x) - 3:int(x) + 4] = 0.0
    assert scores(reference, damaged, result.visible_xy, 9.0)["completeness"] < 1.0


def test_by_the_guarded_rule_every_visible_star_stays_and_levels_beat_the_cut_at_equal_bytes(above):
    """At 1 % a cell's bright stars go into Gaussians (completeness below 1, above); drawn at the level the rule picks
    with its photometric guard at magnitude 9, every visible star is a point, at a third of the all-points bytes."""
    universe, views, at_one_percent = above
    assert scores(at_one_percent.images["points"], at_one_percent.images["clustered"], at_one_percent.visible_xy,
                  9.0)["completeness"] < 0.9
    result = level_images(universe, views, None, limiting_mag=9.0)
    reference = result.images["points"]
    cut, clustered = (scores(reference, result.images[m], result.visible_xy, 9.0) for m in ("cut", "clustered"))
    assert cut["completeness"] == 1.0 and clustered["completeness"] == 1.0
    assert result.bytes["clustered"] < 0.5 * result.bytes["points"]
    assert abs(result.bytes["clustered"] - result.bytes["cut"]) <= 0.01 * result.bytes["points"]
    assert clustered["psnr_db"] > cut["psnr_db"] + 10.0 and abs(clustered["flux_error"]) < 1e-3 < abs(cut["flux_error"])


def test_by_the_rule_every_method_draws_the_level_the_given_levels_have(above):
    """A workflow may train fewer fractions than the default ladder (no 30 % level): the rule then picks among
    those, for every method, so that the comparison stays at equal bytes."""
    from helios.lod.sources import ClusteredLevels

    universe, views, _ = above
    fewer = ClusteredLevels(fractions=(0.01, 0.03, 0.1))
    result = level_images(universe, views, None, ("points", "cut", "clustered", "trained"), limiting_mag=9.0, trained=fewer)
    assert result.bytes["trained"] == result.bytes["clustered"] < result.bytes["points"]
    assert abs(result.bytes["clustered"] - result.bytes["cut"]) <= 0.01 * result.bytes["points"]
    assert np.array_equal(result.images["trained"], result.images["clustered"])  # the same clustered levels, drawn alike
    default = level_images(universe, views, None, ("points", "clustered"), limiting_mag=9.0)
    assert default.bytes["clustered"] != result.bytes["clustered"]  # the 30 % level was the rule's choice somewhere


def test_several_trained_runs_compare_side_by_side(above):
    from helios.lod.sources import ClusteredLevels

    universe, views, _ = above
    runs = {"trained:a": ClusteredLevels(seed=0, fractions=(0.01, 0.03, 0.1)), "trained:b": ClusteredLevels(seed=1, fractions=(0.01, 0.03, 0.1))}
    result = level_images(universe, views, None, ("points", "clustered", *runs), limiting_mag=9.0, trained=runs)
    assert result.bytes["trained:a"] == result.bytes["trained:b"] == result.bytes["clustered"] < result.bytes["points"]
    assert np.array_equal(result.images["trained:a"], result.images["clustered"])  # each run drawn from its own levels
    assert not np.array_equal(result.images["trained:b"], result.images["clustered"])


def test_cells_without_trained_levels_are_points_for_every_method(above, tmp_path):
    """A workflow that selected some cells: the comparison draws only those at a level, for every method (equal bytes);
    before, the cut and the clustered levels drew the unselected cells at the fraction and (c) drew them whole."""
    import json

    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions
    from helios.lod.sources import TrainedLevels
    from helios.trained_index import build_trained_index

    universe, views, _ = above
    chosen = sorted(universe.cells_in_view(views), key=lambda entry: -entry["star_count"])[:3]
    for entry in chosen:
        stem = tmp_path / "levels" / entry["id"]
        stem.parent.mkdir(exist_ok=True)
        level_cell(universe.root / entry["file"], f"{stem}.levels.parquet", f"{stem}.levels.json", LevelOptions(iterations=0), 0, universe.grid)
    selection = {"cells": [{"id": entry["id"]} for entry in chosen]}
    build_trained_index(universe.index, selection, tmp_path, tmp_path / "index.json",
                        cell_files={entry["id"]: f"levels/{entry['id']}" for entry in chosen})
    trained = TrainedLevels(tmp_path, json.loads((tmp_path / "index.json").read_text()))
    result = level_images(universe, views, 0.01, ("points", "cut", "clustered", "trained"), limiting_mag=9.0, trained=trained)
    assert result.bytes["trained"] == result.bytes["clustered"] < result.bytes["points"]
    assert abs(result.bytes["clustered"] - result.bytes["cut"]) <= 0.01 * result.bytes["points"]
    # Untrained (iterations 0) levels are clustered as the comparison clusters: from 3 kpc their images agree.
    assert np.allclose(result.images["trained"], result.images["clustered"], rtol=1e-4, atol=1e-12)


def test_the_point_share_reaches_the_levels_the_comparison_draws(above):
    """At a point share of 0.5 the comparison's clustered levels are those of a clustered source of that share (the
    same images), not the default's, at the same bytes."""
    from helios.lod.sources import ClusteredLevels

    universe, views, default = above
    own = level_images(universe, views, 0.01, ("points", "clustered"), limiting_mag=9.0, point_share=0.5)
    source = level_images(universe, views, 0.01, ("points", "trained"), limiting_mag=9.0, trained=ClusteredLevels(point_share=0.5, min_stars=1))
    assert np.array_equal(own.images["clustered"], source.images["trained"])
    assert not np.array_equal(own.images["clustered"], default.images["clustered"])
    assert abs(own.bytes["clustered"] - default.bytes["clustered"]) <= 0.01 * default.bytes["points"]


def test_a_level_is_found_in_each_sources_ladder_by_its_number():
    """Runs' ladders agree level for level though a fraction may differ in its last bits (0.1 + 0.2 is not 0.3):
    each source's level is the one of the same number; a fraction given to draw at matches to within rounding."""
    mine = ladder(10_000, (0.01, 0.03, 0.3))
    theirs = ladder(10_000, (0.01, 0.03, 0.1 + 0.2))
    assert theirs[2].fraction != mine[2].fraction
    assert same_level(theirs, mine[2]) is theirs[2]
    with pytest.raises(HeliosError, match="ladders must agree"):
        same_level(theirs[:2], mine[2])
    assert level_of_fraction(theirs, 0.3) is theirs[2] and level_of_fraction(theirs, 0.1) is None
