from dataclasses import replace

import numpy as np
import pytest
import torch

from helios import photometry
from helios.lod.cluster import cluster_gaussians
from helios.lod.gaussians import GlowGaussians
from helios.lod.options import LevelOptions
from helios.lod.train import train_level

OPTIONS = LevelOptions(iterations=60, image_size=32, train_views=8, eval_views=4, eval_every=10, learning_rate=0.02)


def flattened_cluster(seed=0, n=400):
    """Stars in a thin, tilted disc 40 pc from the Sun: one round Gaussian fits it badly."""
    rng = np.random.default_rng(seed)
    local = rng.normal(0, [3.0, 3.0, 0.2], (n, 3))
    tilt = np.array([[1, 0, 0], [0, np.cos(0.6), -np.sin(0.6)], [0, np.sin(0.6), np.cos(0.6)]])
    positions = local @ tilt.T + np.array([40.0, 5.0, -3.0])
    abs_mag = rng.uniform(2.0, 9.0, n)
    colours = photometry.unit_luminance(rng.uniform(0.3, 1.0, (n, 3)))
    return positions, abs_mag, colours


def clustered_start(k, seed=0):
    """The flattened cluster, its bounding sphere and its k clustered Gaussians."""
    positions, abs_mag, colours = flattened_cluster(seed)
    centre = positions.mean(0)
    radius = float(np.linalg.norm(positions - centre, axis=1).max())
    start = cluster_gaussians(positions, photometry.luminosity(abs_mag), colours, k=k, seed=0, floor_pc=1e-4 * radius)
    return positions, abs_mag, colours, start, centre, radius


def test_scales_and_rotations_reproduce_the_covariances():
    from helios.covariance import quat_scale_to_covar

    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 3, 3))
    covariances = a @ a.transpose(0, 2, 1) + 0.1 * np.eye(3)
    gaussians = GlowGaussians(np.zeros((20, 3)), covariances, np.ones(20), np.ones((20, 3)))
    scales, quats = gaussians.scales_and_rotations()
    rebuilt = quat_scale_to_covar(torch.tensor(quats), torch.tensor(scales)).numpy()
    assert np.allclose(rebuilt, covariances, atol=1e-10)
    back = GlowGaussians.from_scales_and_rotations(gaussians.means, scales, quats, gaussians.luminosity, gaussians.colours)
    assert np.allclose(back.covariances, covariances, atol=1e-10)


def test_training_fits_the_held_out_views_better_than_the_clustered_start_and_keeps_the_light():
    positions, abs_mag, colours, start, centre, radius = clustered_start(2)
    trained, report = train_level(positions, abs_mag, colours, start, centre, radius, seed=0, options=OPTIONS)
    assert report.best_step > 0 and report.loss_trained < 0.9 * report.loss_clustered
    assert report.improvement == pytest.approx(1 - report.loss_trained / report.loss_clustered)
    assert np.isclose(trained.luminosity.sum(), start.luminosity.sum(), rtol=1e-12)  # the light is held, only shared out anew
    centroid = lambda g: g.luminosity @ g.means / g.luminosity.sum()  # noqa: E731
    assert np.allclose(centroid(trained), centroid(start), rtol=0, atol=1e-9 * radius)  # and its centre
    assert not np.allclose(trained.means, start.means)  # while the Gaussians themselves moved
    assert np.allclose(photometry.luminance(trained.colours), 1.0)
    assert len(report.curve) == OPTIONS.iterations // OPTIONS.eval_every


def test_without_improvement_the_clustered_gaussians_are_kept_unchanged():
    positions, abs_mag, colours, start, centre, radius = clustered_start(2, seed=1)
    options = LevelOptions(iterations=10, image_size=32, train_views=8, eval_views=4, eval_every=10, learning_rate=1e3)  # diverges
    kept, report = train_level(positions, abs_mag, colours, start, centre, radius, seed=0, options=options)
    assert report.best_step == 0 and report.loss_trained == report.loss_clustered
    assert np.allclose(kept.means, start.means) and np.allclose(kept.covariances, start.covariances, rtol=1e-9, atol=1e-12)
    assert np.allclose(kept.luminosity, start.luminosity)


def test_the_learning_rate_falls_with_the_number_of_gaussians_above_the_reference():
    options = LevelOptions(learning_rate=0.01, learning_rate_gaussians=100)
    assert options.rate_for(50) == options.rate_for(100) == 0.01
    assert options.rate_for(1000) == pytest.approx(0.001)
    assert LevelOptions(learning_rate=0.01).rate_for(10**6) == 0.01  # None: one rate for every level


def test_a_big_level_trains_at_its_scaled_rate():
    positions, abs_mag, colours, start, centre, radius = clustered_start(8)
    small = dict(iterations=20, image_size=32, train_views=8, eval_views=4, eval_every=5)
    scaled = train_level(positions, abs_mag, colours, start, centre, radius, 0,
                         LevelOptions(**small, learning_rate=0.02, learning_rate_gaussians=2))[1]
    quarter = train_level(positions, abs_mag, colours, start, centre, radius, 0, LevelOptions(**small, learning_rate=0.005))[1]
    unscaled = train_level(positions, abs_mag, colours, start, centre, radius, 0, LevelOptions(**small, learning_rate=0.02))[1]
    assert scaled.curve == quarter.curve  # 0.02 x 2 / 8 Gaussians
    assert scaled.curve != unscaled.curve


def test_with_colours_frozen_each_gaussian_keeps_its_clusters_colour():
    positions, abs_mag, colours, start, centre, radius = clustered_start(4)
    frozen, report = train_level(positions, abs_mag, colours, start, centre, radius, 0, replace(OPTIONS, train_colours=False))
    free, _ = train_level(positions, abs_mag, colours, start, centre, radius, 0, OPTIONS)
    assert report.best_step > 0 and not np.allclose(frozen.means, start.means)  # it trained
    assert np.allclose(frozen.colours, start.colours, rtol=1e-12)
    assert not np.allclose(free.colours, start.colours, rtol=1e-6)


def test_a_levels_ladder_settings_do_not_change_its_training():
    """The levels: section is one options class; training reads its training fields, not the ladder's."""
    positions, abs_mag, colours, start, centre, radius = clustered_start(2)
    quick = replace(OPTIONS, iterations=10, eval_every=5)
    report = train_level(positions, abs_mag, colours, start, centre, radius, 0, quick)[1]
    other_ladder = train_level(positions, abs_mag, colours, start, centre, radius, 0, replace(quick, fractions=(0.5,), point_share=0.3))[1]
    assert report.curve == other_ladder.curve and report.best_step > 0
