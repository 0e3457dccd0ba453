"""Untrained Gaussians for a level: luminosity-weighted k-means of the stars, moment matched.

Each cluster becomes one Gaussian with the cluster's total luminosity, its luminosity-weighted
mean position and covariance (floored, so that a one-star cluster is a point), and its
luminosity-weighted mean colour (whose luminance stays 1).  Seen from far outside, such a Gaussian
carries the light of its stars.  Nearer, it is fainter than they are: its flux follows the distance
to its mean, theirs the mean of ``1 / d^2`` over them, which is larger (Jensen's inequality); from
500 pc above the embedded sample the clustered level loses 5 % of the light, from 3 kpc 1 %.  That,
and how a Gaussian spreads its light, is what training for the distances of use can improve.
"""

from __future__ import annotations

import numpy as np
import torch

from helios.lod.gaussians import GlowGaussians

#: Above this many clusters ("big levels") k-means++ runs on a luminosity-weighted sample of
#: ``SUBSAMPLE_PER_CLUSTER`` stars per cluster instead of on every star (its ``k`` sequential passes over
#: the stars dominate the time there; the fit is as tight), and stars are assigned to their nearest
#: centre through a k-d tree instead of all distances (which would be N x k: 10^12 for the 10 % level
#: of a 6-million-star cell).  Above ``SUBSAMPLE_PP_MAX`` clusters even that is too slow (k passes over
#: 8 k stars), and the sample is first cut into blocks of at most ``KMEANS_PP_MAX`` clusters' worth of
#: stars by median splits, each block seeded by k-means++ on its own (BENCHMARKS.md).
KMEANS_PP_MAX = 1024
SUBSAMPLE_PP_MAX = 16384
SUBSAMPLE_PER_CLUSTER = 8


def _nearest(points: torch.Tensor, centres: torch.Tensor, chunk: int = 1 << 16) -> torch.Tensor:
    if len(centres) > KMEANS_PP_MAX:
        from scipy.spatial import cKDTree

        tree = cKDTree(centres.cpu().numpy())
        index = tree.query(points.cpu().numpy(), workers=torch.get_num_threads())[1]
        return torch.as_tensor(index, device=points.device)
    return torch.cat([torch.cdist(points[i:i + chunk], centres).argmin(1) for i in range(0, len(points), chunk)])


def _kmeans_pp(x: torch.Tensor, w: torch.Tensor, weights: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """k-means++ start drawn with the weights: each next centre with probability ∝ weight × squared distance."""
    chosen = [int(rng.choice(len(x), p=weights / weights.sum()))]
    closest = ((x - x[chosen[0]]) ** 2).sum(1)
    for _ in range(1, k):
        score = (closest * w).cpu().numpy()
        if score.sum() <= 0:  # every star sits on a centre already
            break
        chosen.append(int(rng.choice(len(x), p=score / score.sum())))
        closest = torch.minimum(closest, ((x - x[chosen[-1]]) ** 2).sum(1))
    return chosen


def _median_blocks(points: np.ndarray, count: int) -> list[np.ndarray]:
    """Indices of ``points`` cut into ``count`` (rounded up to a power of two) blocks of equal size, each
    cut in two at the median of its widest axis."""
    blocks = [np.arange(len(points))]
    while len(blocks) < count:
        halves = []
        for block in blocks:
            axis = int(np.argmax(np.ptp(points[block], axis=0)))
            order = block[np.argsort(points[block, axis], kind="stable")]
            halves += [order[:len(order) // 2], order[len(order) // 2:]]
        blocks = halves
    return blocks


def _blockwise_pp(x: torch.Tensor, w: torch.Tensor, weights: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """k-means++ on a weighted sample of ``SUBSAMPLE_PER_CLUSTER`` stars per cluster, cut into blocks of at
    most ``KMEANS_PP_MAX`` clusters: each block seeds its share of the ``k`` centres (in proportion to its stars)."""
    sample = np.asarray(_weighted_sample(weights, min(len(weights), SUBSAMPLE_PER_CLUSTER * k), rng))
    blocks = _median_blocks(x[sample].cpu().numpy(), -(-k // KMEANS_PP_MAX))
    sizes = np.array([len(block) for block in blocks])
    shares = np.minimum(sizes, np.floor(k * sizes / sizes.sum()).astype(int))
    for i in np.argsort(-(k * sizes / sizes.sum() - shares), kind="stable")[:k - shares.sum()]:  # largest remainders
        shares[i] += 1
    chosen = []
    for block, share in zip(blocks, shares):
        members = sample[block]
        if share > 0:
            chosen += members[_kmeans_pp(x[members], w[members], weights[members], int(share), rng)].tolist()
    return chosen


def _weighted_sample(weights: np.ndarray, k: int, rng: np.random.Generator) -> list[int]:
    """``k`` distinct stars drawn with probability ∝ weight (Efraimidis–Spirakis keys ``u^(1/w)``)."""
    keys = np.log(rng.random(len(weights))) / np.maximum(weights, 1e-300)
    return sorted(np.argpartition(-keys, k - 1)[:k].tolist())


def weighted_kmeans(points: np.ndarray, weights: np.ndarray, k: int, seed: int, iterations: int = 25,
                    device: str | torch.device = "cpu") -> np.ndarray:
    """Labels ``[N]`` of a k-means that minimises the weighted squared distances (k-means++ start
    drawn with the weights; above ``KMEANS_PP_MAX`` clusters on a weighted sample of the stars, above
    ``SUBSAMPLE_PP_MAX`` in blocks of that sample, with a k-d tree; deterministic for a seed on the CPU)."""
    rng = np.random.default_rng(seed)
    x = torch.as_tensor(points, dtype=torch.float64, device=device)
    w = torch.as_tensor(weights, dtype=torch.float64, device=device)
    k = min(k, len(points))
    weights = np.asarray(weights, np.float64)
    if k <= KMEANS_PP_MAX:
        chosen = _kmeans_pp(x, w, weights, k, rng)
    elif k <= SUBSAMPLE_PP_MAX:
        sample = np.asarray(_weighted_sample(weights, min(len(points), SUBSAMPLE_PER_CLUSTER * k), rng))
        chosen = sample[_kmeans_pp(x[sample], w[sample], weights[sample], k, rng)].tolist()
    else:
        chosen = _blockwise_pp(x, w, weights, k, rng)
    centres = x[chosen].clone()
    labels = _nearest(x, centres)
    for _ in range(iterations):
        total = torch.zeros(len(centres), dtype=torch.float64, device=device).index_add_(0, labels, w)
        sums = torch.zeros_like(centres).index_add_(0, labels, x * w[:, None])
        used = total > 0
        centres[used] = sums[used] / total[used, None]
        new = _nearest(x, centres)
        if torch.equal(new, labels):
            break
        labels = new
    _, labels = torch.unique(labels, return_inverse=True)  # drop empty clusters
    return labels.cpu().numpy()


def cluster_gaussians(positions: np.ndarray, luminosity: np.ndarray, colours: np.ndarray, k: int, seed: int,
                      floor_pc: float, device: str | torch.device = "cpu") -> GlowGaussians:
    """``k`` (or fewer, for fewer stars) Gaussians carrying the light of the stars; covariances floored at ``floor_pc^2``."""
    if len(positions) == 0:
        return GlowGaussians.empty()
    labels = weighted_kmeans(positions, luminosity, k, seed, device=device)
    n = labels.max() + 1
    total = np.bincount(labels, weights=luminosity, minlength=n)
    means = np.stack([np.bincount(labels, weights=luminosity * positions[:, i], minlength=n) for i in range(3)], 1) / total[:, None]
    offset = positions - means[labels]
    covariances = np.stack([np.bincount(labels, weights=offset[:, i] * offset[:, j] * luminosity, minlength=n)
                            for i in range(3) for j in range(3)], 1).reshape(n, 3, 3)
    covariances /= total[:, None, None]
    covariances += floor_pc**2 * np.eye(3)
    colour = np.stack([np.bincount(labels, weights=luminosity * colours[:, i], minlength=n) for i in range(3)], 1) / total[:, None]
    return GlowGaussians(means, covariances, total, colour)
