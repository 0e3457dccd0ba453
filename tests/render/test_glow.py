import numpy as np
import pytest
import torch

from helios import photometry
from helios.cameras import pinhole
from helios.measure import project
from helios.render.glow import PIXEL_VARIANCE, render_glow
from helios.render.points import DEFAULT_PSF_SIGMA_PX, render_points

VIEW = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, 96, 64, up=np.array([0.0, 1.0, 0.0]))
WHITE = torch.ones(1, 3, dtype=torch.float64)


def one(mean, sigma_pc, luminosity=1.0, views=VIEW, **kwargs):
    means = torch.tensor([mean], dtype=torch.float64)
    covariances = (sigma_pc**2 * torch.eye(3, dtype=torch.float64))[None]
    return render_glow(means, covariances, torch.tensor([luminosity], dtype=torch.float64), WHITE, views, **kwargs)[0].numpy()


def moments(image):
    weights = image[..., 1]
    ys, xs = np.mgrid[0:image.shape[0], 0:image.shape[1]] + 0.5
    total = weights.sum()
    mx, my = (weights * xs).sum() / total, (weights * ys).sum() / total
    return total, mx, my, (weights * (xs - mx) ** 2).sum() / total


@pytest.mark.parametrize("sigma_pc", [1e-6, 0.01, 0.2, 1.0])
def test_a_gaussian_carries_its_flux_at_any_size_centred_where_it_projects(sigma_pc):
    mean = [0.7, -0.4, 20.0]
    total, mx, my, var = moments(one(mean, sigma_pc))
    assert np.isclose(total, 100.0 / np.sum(np.square(mean)), rtol=5e-4)
    x, y, _ = project(np.array([mean]), VIEW)
    assert np.isclose(mx, x[0], atol=0.01) and np.isclose(my, y[0], atol=0.01)
    focal = VIEW.Ks[0, 0, 0].item()
    expected = (focal * sigma_pc / 20.0) ** 2 + DEFAULT_PSF_SIGMA_PX**2 + PIXEL_VARIANCE  # near the axis: J ~ f / z
    assert np.isclose(var, expected, rtol=0.02)


def test_a_point_sized_gaussian_looks_like_the_star_it_stands_for():
    mean = np.array([[0.3, 0.2, 15.0]])
    glow = one(mean[0].tolist(), 1e-7)
    star = render_points(mean, np.ones((1, 3)), np.zeros(1), VIEW)[0].numpy()
    assert np.isclose(glow.sum(), star.sum(), rtol=5e-4)
    assert np.abs(glow - star).max() < 0.05 * star.max()  # pixel-integrated PSF against a widened Gaussian


def test_flux_falls_as_the_inverse_square_and_gaussians_add():
    near, far = one([0.0, 0.0, 10.0], 0.1), one([0.0, 0.0, 30.0], 0.1)
    assert np.isclose(far.sum() / near.sum(), 1 / 9, rtol=1e-4)
    means = torch.tensor([[0.0, 0.0, 10.0], [0.5, 0.0, 12.0]], dtype=torch.float64)
    covariances = 0.01 * torch.eye(3, dtype=torch.float64).repeat(2, 1, 1)
    both = render_glow(means, covariances, torch.ones(2, dtype=torch.float64), WHITE.repeat(2, 1), VIEW)[0].numpy()
    assert np.allclose(both, one([0.0, 0.0, 10.0], 0.1) + one([0.5, 0.0, 12.0], 0.1), rtol=1e-12, atol=1e-18)


def test_gaussians_behind_or_beside_the_camera_add_nothing_and_an_edge_one_keeps_half():
    assert one([0.0, 0.0, -10.0], 0.1).max() == 0 and one([100.0, 0.0, 10.0], 0.1).max() == 0
    focal = VIEW.Ks[0, 0, 0].item()
    edge = one([-10.0 * 48 / focal, 0.0, 10.0], 0.05)
    distance2 = (10.0 * 48 / focal) ** 2 + 100.0
    assert np.isclose(edge[..., 1].sum() / (100.0 / distance2), 0.5, atol=0.01)


def test_a_gaussian_larger_than_the_image_only_costs_the_image_and_chunks_agree():
    big = one([0.0, 0.0, 10.0], 50.0)  # far wider than the field: a faint, even glow
    assert big.min() > 0 and np.isclose(big.max(), big.min(), rtol=0.2)
    rng = np.random.default_rng(0)
    means = torch.tensor(np.c_[rng.uniform(-3, 3, (40, 2)), rng.uniform(8, 30, 40)])
    covariances = torch.tensor(rng.uniform(0.01, 0.5, 40))[:, None, None] * torch.eye(3, dtype=torch.float64)
    luminosity, colours = torch.tensor(rng.uniform(0.1, 2, 40)), torch.tensor(photometry.unit_luminance(rng.uniform(0.2, 1, (40, 3))))
    whole = render_glow(means, covariances, luminosity, colours, VIEW)
    chunked = render_glow(means, covariances, luminosity, colours, VIEW, max_pairs=500)
    assert torch.allclose(whole, chunked, rtol=1e-12, atol=1e-18)
    # Added in place into an image that holds light already: the same light, no new image.
    sky = torch.full_like(whole, 0.25)
    returned = render_glow(means, covariances, luminosity, colours, VIEW, max_pairs=500, out=sky)
    assert returned is sky and torch.allclose(sky, whole + 0.25, rtol=1e-12, atol=1e-18)


def test_the_image_is_differentiable_in_every_input():
    means = torch.tensor([[0.2, 0.1, 12.0]], dtype=torch.float64, requires_grad=True)
    covariances = (0.04 * torch.eye(3, dtype=torch.float64))[None].requires_grad_(True)
    luminosity = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    colours = torch.ones(1, 3, dtype=torch.float64, requires_grad=True)
    image = render_glow(means, covariances, luminosity, colours, VIEW)
    image[..., 0].sum().backward(retain_graph=True)
    assert np.isclose(luminosity.grad.item(), image[..., 0].sum().item() / 2.0)
    target = torch.zeros_like(image)
    target[0, 32, 40] = 1.0
    (image - target.detach()).square().sum().backward()
    assert means.grad.abs().sum() > 0 and covariances.grad.abs().sum() > 0 and colours.grad.abs().sum() > 0


def test_wide_gaussians_drawn_on_a_coarser_grid_keep_their_light_and_shape():
    from helios.render.glow import pitches

    assert pitches(torch.tensor([0.9, 7.9, 8.0, 40.0, 1e4]), 64).tolist() == [1, 1, 2, 8, 64]
    assert pitches(torch.tensor([1e4]), 1).tolist() == [1]
    wide = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, 640, 360, up=np.array([0.0, 1.0, 0.0]))
    rng = np.random.default_rng(1)
    means = torch.tensor(np.c_[rng.uniform(-4, 4, (30, 2)), rng.uniform(8, 30, 30)])
    axes = torch.tensor(rng.uniform(0.05, 2.0, (30, 3)))  # narrow to wider than the field, some elongated
    covariances = torch.diag_embed(axes**2)
    luminosity, colours = torch.tensor(rng.uniform(0.1, 2, 30)), torch.tensor(photometry.unit_luminance(rng.uniform(0.2, 1, (30, 3))))
    exact = render_glow(means, covariances, luminosity, colours, wide)[0]
    coarse = render_glow(means, covariances, luminosity, colours, wide, max_pitch=64)[0]
    assert not torch.equal(exact, coarse)  # some were drawn coarse
    assert np.isclose(coarse.sum(), exact.sum(), rtol=1e-3)
    assert (coarse - exact).abs().max() < 0.005 * exact.max()
    for i in range(0, 30, 3):  # each one on its own, those at the image's edges too
        one_exact = render_glow(means[i:i + 1], covariances[i:i + 1], luminosity[i:i + 1], colours[i:i + 1], wide)[0]
        one_coarse = render_glow(means[i:i + 1], covariances[i:i + 1], luminosity[i:i + 1], colours[i:i + 1], wide, max_pitch=64)[0]
        assert np.isclose(one_coarse.sum(), one_exact.sum(), rtol=3e-3)
        assert (one_coarse - one_exact).abs().max() < 0.015 * one_exact.max()
    into = torch.zeros((1, 360, 640, 3), dtype=torch.float64)
    render_glow(means, covariances, luminosity, colours, wide, max_pitch=64, out=into)
    assert torch.allclose(into[0], coarse, rtol=1e-12, atol=1e-18)


def test_coarse_grids_kept_for_many_calls_add_up_to_the_same_image():
    from helios.render.glow import CoarseGrids

    wide = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, 320, 180, up=np.array([0.0, 1.0, 0.0]))
    means = torch.tensor([[0.0, 0.0, 10.0], [1.0, 0.5, 12.0], [-2.0, 0.0, 9.0]], dtype=torch.float64)
    covariances = torch.diag_embed(torch.tensor([[1.0, 0.5, 1.0], [0.01, 0.01, 0.01], [3.0, 3.0, 3.0]], dtype=torch.float64))
    luminosity, colours = torch.ones(3, dtype=torch.float64), torch.ones(3, 3, dtype=torch.float64)
    at_once = render_glow(means, covariances, luminosity, colours, wide, max_pitch=64)
    image, coarse = torch.zeros_like(at_once), CoarseGrids(1, 180, 320)
    for i in range(3):  # one call per cell, as a sky is drawn
        render_glow(means[i:i + 1], covariances[i:i + 1], luminosity[i:i + 1], colours[i:i + 1], wide, max_pitch=64, out=image, coarse=coarse)
    assert len(coarse.grids) >= 2  # two pitches kept for later
    assert not torch.allclose(image, at_once)  # before: only the narrow one
    assert torch.allclose(coarse.add_to(image), at_once, rtol=1e-12, atol=1e-18)
