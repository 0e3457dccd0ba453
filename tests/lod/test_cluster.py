import numpy as np
import pytest

from helios import photometry
from helios.lod.cluster import cluster_gaussians, weighted_kmeans


def two_groups(seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal([0, 0, 0], 0.5, (300, 3))
    b = rng.normal([20, 5, -3], [2.0, 0.3, 0.3], (200, 3))
    positions = np.concatenate([a, b])
    luminosity = rng.lognormal(0, 1.5, 500)
    colours = photometry.unit_luminance(rng.uniform(0.1, 1.0, (500, 3)))
    return positions, luminosity, colours


def test_clusters_carry_exactly_the_light_and_the_moments_of_their_stars():
    positions, luminosity, colours = two_groups()
    g = cluster_gaussians(positions, luminosity, colours, k=2, seed=0, floor_pc=1e-3)
    assert len(g) == 2
    assert np.isclose(g.luminosity.sum(), luminosity.sum())
    assert np.allclose(photometry.luminance(g.colours), 1.0)
    first = np.argmin(np.linalg.norm(g.means, axis=1))  # the cluster of the group around the origin
    group = slice(0, 300)
    w = luminosity[group]
    mean = (positions[group] * w[:, None]).sum(0) / w.sum()
    offset = positions[group] - mean
    covariance = (offset[:, :, None] * offset[:, None, :] * w[:, None, None]).sum(0) / w.sum() + 1e-6 * np.eye(3)
    assert np.allclose(g.means[first], mean) and np.allclose(g.covariances[first], covariance)
    # the light-weighted colour: what the stars' light adds up to
    assert np.allclose(g.colours[first] * g.luminosity[first], (colours[group] * w[:, None]).sum(0))


def test_kmeans_is_deterministic_and_one_star_clusters_are_floored_points():
    positions, luminosity, colours = two_groups(1)
    assert np.array_equal(weighted_kmeans(positions, luminosity, 7, seed=3), weighted_kmeans(positions, luminosity, 7, seed=3))
    few = cluster_gaussians(positions[:5], luminosity[:5], colours[:5], k=10, seed=0, floor_pc=0.01)
    assert len(few) == 5 and np.allclose(few.covariances, 1e-4 * np.eye(3))
    assert np.allclose(np.sort(few.luminosity), np.sort(luminosity[:5]))


def test_more_clusters_fit_the_stars_closer():
    positions, luminosity, colours = two_groups(2)

    def spread(k):
        labels = weighted_kmeans(positions, luminosity, k, seed=0)
        centres = np.stack([np.average(positions[labels == i], axis=0, weights=luminosity[labels == i]) for i in range(labels.max() + 1)])
        return np.sum(luminosity * np.sum((positions - centres[labels]) ** 2, axis=1))

    assert spread(2) > spread(8) > spread(32)


@pytest.mark.parametrize("start", ["k-means++ on a sample", "k-means++ in blocks of a sample"])
def test_many_clusters_start_from_a_weighted_sample_and_still_fit(start, monkeypatch):
    """Above KMEANS_PP_MAX clusters k-means++ runs on a luminosity-weighted sample of the stars, and above
    SUBSAMPLE_PP_MAX in blocks of that sample (fast for big levels): deterministic, every cluster used, the light
    kept, and the fit better than with the k-means++ maximum."""
    from helios.lod import cluster
    from helios.lod.cluster import KMEANS_PP_MAX, _weighted_sample

    if start == "k-means++ in blocks of a sample":
        monkeypatch.setattr(cluster, "SUBSAMPLE_PP_MAX", KMEANS_PP_MAX)

    rng = np.random.default_rng(4)
    positions = rng.normal(0, 10, (8000, 3))
    luminosity = rng.lognormal(0, 2, 8000)
    colours = photometry.unit_luminance(rng.uniform(0.1, 1.0, (8000, 3)))
    k = KMEANS_PP_MAX + 500
    sample = _weighted_sample(luminosity, k, np.random.default_rng(0))
    assert len(set(sample)) == k and np.median(luminosity[sample]) > 2 * np.median(luminosity)  # the bright are favoured
    labels = weighted_kmeans(positions, luminosity, k, seed=0)
    assert np.array_equal(labels, weighted_kmeans(positions, luminosity, k, seed=0)) and labels.max() + 1 > 0.9 * k
    g = cluster_gaussians(positions, luminosity, colours, k, seed=0, floor_pc=1e-3)
    assert np.isclose(g.luminosity.sum(), luminosity.sum())

    def spread(labels):
        n = labels.max() + 1
        total = np.bincount(labels, weights=luminosity, minlength=n)
        centres = np.stack([np.bincount(labels, weights=luminosity * positions[:, i], minlength=n) for i in range(3)], 1) / total[:, None]
        return np.sum(luminosity * np.sum((positions - centres[labels]) ** 2, axis=1))

    assert spread(labels) < spread(weighted_kmeans(positions, luminosity, KMEANS_PP_MAX, seed=0))


def test_blocks_of_the_sample_are_equal_halves_cut_along_the_widest_axis():
    from helios.lod.cluster import _median_blocks

    rng = np.random.default_rng(5)
    points = rng.normal(0, 1, (1000, 3)) * np.array([100.0, 1.0, 1.0])  # widest along x
    blocks = _median_blocks(points, 3)  # rounded up to 4
    assert len(blocks) == 4 and sorted(len(b) for b in blocks) == [250] * 4
    assert np.array_equal(np.sort(np.concatenate(blocks)), np.arange(1000))
    first_cut = np.median(points[:, 0])
    assert all((points[b, 0] <= first_cut).all() or (points[b, 0] >= first_cut).all() for b in blocks)


def test_blockwise_start_seeds_k_distinct_centres_deterministically():
    import torch

    from helios.lod.cluster import KMEANS_PP_MAX, _blockwise_pp

    rng = np.random.default_rng(6)
    positions = rng.normal(0, 10, (40000, 3))
    luminosity = rng.lognormal(0, 1, 40000)
    k = 3 * KMEANS_PP_MAX + 7
    x, w = torch.as_tensor(positions), torch.as_tensor(luminosity)
    chosen = _blockwise_pp(x, w, luminosity, k, np.random.default_rng(0))
    assert len(chosen) == k and len(set(chosen)) == k
    assert chosen == _blockwise_pp(x, w, luminosity, k, np.random.default_rng(0))
