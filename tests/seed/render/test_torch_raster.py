import numpy as np
import pytest
import torch

from helios.cameras import Views, sample_views
from helios.seed.render.reference import render_splats
from helios.seed.render.torch_raster import rasterize_torch


def scene(n=120, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=g) * 2 - 1) * 0.8
    quats = torch.randn(n, 4, generator=g)
    scales = torch.exp(torch.randn(n, 3, generator=g) * 0.4 + np.log(0.03))
    opacities = torch.rand(n, generator=g) * 0.9 + 0.05
    colors = torch.rand(n, 3, generator=g)
    return [t.to(dtype) for t in (means, quats, scales, opacities, colors)]


def as_numpy(tensors):
    return [t.detach().double().numpy() for t in tensors]


def test_matches_the_dense_reference():
    views = sample_views(3, 64, seed=1)
    params = scene()
    image, info = rasterize_torch(*params, views)
    reference = render_splats(*as_numpy(params), views)
    assert image.shape == (3, 64, 64, 3)
    assert np.abs(image.numpy() - reference).max() < 2e-5
    assert reference.max() > 0.3  # the scene is not empty


def test_camera_by_camera_equals_all_at_once():
    views = sample_views(4, 48, seed=2)
    params = scene(seed=3)
    together, _ = rasterize_torch(*params, views)
    one_by_one, _ = rasterize_torch(*params, views, max_pairs=1)
    assert torch.allclose(together, one_by_one, atol=1e-6)


def test_info_feeds_the_densification_strategy():
    views = sample_views(2, 32, seed=4)
    params = [p.requires_grad_(True) for p in scene(n=30, seed=5)]
    image, info = rasterize_torch(*params, views)
    info["means2d"].retain_grad()
    image.sum().backward()
    assert info["means2d"].shape == (2, 30, 2) and info["radii"].shape == (2, 30, 2)
    assert info["radii"].dtype == torch.int32
    visible = (info["radii"] > 0).all(-1)
    assert visible.any()
    assert info["means2d"].grad[visible].abs().sum() > 0
    assert torch.all(info["means2d"].grad[~visible] == 0)
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)


def test_gradients_match_finite_differences():
    views = sample_views(1, 24, seed=6)
    views = Views(views.viewmats.double(), views.Ks.double(), views.width, views.height)
    params = [p.requires_grad_(True) for p in scene(n=6, seed=7, dtype=torch.float64)]
    weights = torch.rand(1, 24, 24, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64)

    def loss(*p):
        return (rasterize_torch(*p, views)[0] * weights).sum()

    loss(*params).backward()
    eps = 1e-6
    for name, i, j in [("means", 0, 0), ("means", 2, 1), ("scales", 1, 2), ("opacities", 3, None), ("colors", 4, 2)]:
        k = ["means", "quats", "scales", "opacities", "colors"].index(name)
        shifted = [p.detach().clone() for p in params]
        target = shifted[k][i] if j is None else shifted[k][i, j]
        shifted[k] = shifted[k].clone()
        if j is None:
            shifted[k][i] += eps
        else:
            shifted[k][i, j] += eps
        up = loss(*shifted).item()
        if j is None:
            shifted[k][i] -= 2 * eps
        else:
            shifted[k][i, j] -= 2 * eps
        down = loss(*shifted).item()
        numeric = (up - down) / (2 * eps)
        analytic = params[k].grad[i].item() if j is None else params[k].grad[i, j].item()
        assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-6), (name, i, j, float(target))


def test_nothing_visible():
    views = sample_views(2, 32, seed=9)
    means = torch.full((5, 3), 100.0)  # far outside every view
    params = [means] + scene(n=5)[1:]
    image, info = rasterize_torch(*params, views)
    assert torch.count_nonzero(image) == 0 and (info["radii"] == 0).all()


def test_gradients_are_reproducible_with_several_threads():
    """Enough pairs for PyTorch's parallel CPU kernels: the gradients must not change bit for bit."""
    views = sample_views(2, 64, seed=8)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs = []
        for _ in range(5):
            params = [p.requires_grad_(True) for p in scene(n=300, seed=9)]
            image, _ = rasterize_torch(*params, views)
            (image * torch.linspace(0, 1, image.numel()).reshape(image.shape)).sum().backward()
            runs.append([p.grad.clone() for p in params])
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(a, b) for run in runs[1:] for a, b in zip(runs[0], run))
