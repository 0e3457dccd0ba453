import numpy as np
import pytest
import torch

from helios import photometry
from helios.cameras import pinhole
from helios.errors import HeliosError
from helios.measure import project
from helios.render import points
from helios.render.points import render_points

VIEW = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, 64, 48, up=np.array([0.0, 1.0, 0.0]))


def star_field(n, seed=0, spread=2.0):
    rng = np.random.default_rng(seed)
    positions = np.c_[rng.uniform(-spread, spread, (n, 2)), rng.uniform(8.0, 30.0, n)]
    colours = photometry.unit_luminance(rng.uniform(0.1, 1.0, (n, 3)))
    return positions, colours, rng.uniform(-2.0, 8.0, n)


@pytest.mark.parametrize("sigma", [0.5, 0.8, 1.7])
def test_each_star_puts_exactly_its_flux_into_the_image_at_any_sub_pixel_position(sigma):
    rng = np.random.default_rng(1)
    for _ in range(20):
        position = np.array([[*rng.uniform(-1.5, 1.5, 2), rng.uniform(5.0, 50.0)]])
        colour = photometry.unit_luminance(rng.uniform(0.1, 1.0, (1, 3)))
        abs_mag = np.array([rng.uniform(-3.0, 10.0)])
        image = render_points(position, colour, abs_mag, VIEW, sigma)[0].numpy()
        distance = np.linalg.norm(position[0])
        flux = photometry.flux_from_magnitude(photometry.apparent_magnitude(abs_mag[0], distance))
        assert np.allclose(image.sum(axis=(0, 1)), flux * colour[0], rtol=1e-12)
        assert np.isclose(photometry.luminance(image.sum(axis=(0, 1))), flux, rtol=1e-12)
        x, y, _ = project(position, VIEW)  # the light is centred on the projected position
        weights = photometry.luminance(image)
        ys, xs = np.mgrid[0:VIEW.height, 0:VIEW.width] + 0.5
        assert np.isclose((weights * xs).sum() / weights.sum(), x[0], atol=0.02)
        assert np.isclose((weights * ys).sum() / weights.sum(), y[0], atol=0.02)


def test_flux_follows_the_inverse_square_of_the_distance_and_magnitude_zero_at_ten_parsecs_is_one():
    near = render_points(np.array([[0.0, 0.0, 10.0]]), np.ones((1, 3)), np.zeros(1), VIEW)[0].numpy()
    far = render_points(np.array([[0.0, 0.0, 20.0]]), np.ones((1, 3)), np.zeros(1), VIEW)[0].numpy()
    assert np.isclose(near.sum(axis=(0, 1))[1], 1.0)
    assert np.isclose(far.sum() / near.sum(), 0.25)


def test_stars_behind_or_beside_the_camera_add_nothing_and_edge_stars_lose_what_falls_outside():
    behind = render_points(np.array([[0.0, 0.0, -10.0]]), np.ones((1, 3)), np.zeros(1), VIEW)
    beside = render_points(np.array([[100.0, 0.0, 10.0]]), np.ones((1, 3)), np.zeros(1), VIEW)
    assert behind.abs().max() == 0 and beside.abs().max() == 0
    # a star projected exactly onto the left edge keeps about half its light
    focal = VIEW.Ks[0, 0, 0].item()
    position = np.array([[-10.0 * 32 / focal, 0.0, 10.0]])
    assert np.isclose(project(position, VIEW)[0][0], 64.0)
    edge = render_points(position, np.ones((1, 3)), np.zeros(1), VIEW)[0].numpy()
    flux = 100.0 / np.sum(position**2)
    assert np.isclose(edge.sum(axis=(0, 1))[0] / flux, 0.5, atol=1e-5)


def test_chunks_and_runs_give_the_same_bytes(monkeypatch):
    positions, colours, abs_mag = star_field(500)
    whole = render_points(positions, colours, abs_mag, VIEW)
    again = render_points(positions, colours, abs_mag, VIEW)
    monkeypatch.setattr(points, "STAMP_ELEMENTS", 81 * 7)
    chunked = render_points(positions, colours, abs_mag, VIEW)
    assert torch.equal(whole, again)
    assert torch.allclose(whole, chunked, rtol=1e-13, atol=0)


def test_several_views_render_like_one_view_each():
    positions, colours, abs_mag = star_field(100)
    other = pinhole(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 15.0]), 40.0, 64, 48, up=np.array([0.0, 1.0, 0.0]))
    both = type(VIEW)(torch.cat([VIEW.viewmats, other.viewmats]), torch.cat([VIEW.Ks, other.Ks]), 64, 48)
    images = render_points(positions, colours, abs_mag, both)
    assert torch.equal(images[0], render_points(positions, colours, abs_mag, VIEW)[0])
    assert torch.equal(images[1], render_points(positions, colours, abs_mag, other)[0])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_gpu_renders_the_same_image():
    positions, colours, abs_mag = star_field(2000)
    cpu = render_points(positions, colours, abs_mag, VIEW)
    gpu = render_points(positions, colours, abs_mag, VIEW, device="cuda").cpu()
    assert torch.allclose(cpu, gpu, rtol=1e-9, atol=1e-15)


# --------------------------------------------------------------------------------------
# Bounds: the renderer refuses, before allocating, an image or a PSF it cannot draw sensibly


def _one_star(view, sigma=points.DEFAULT_PSF_SIGMA_PX):
    return render_points(np.array([[0.0, 0.0, 10.0]]), np.ones((1, 3)), np.zeros(1), view, sigma)


@pytest.mark.parametrize("sigma", [float("nan"), float("inf"), -1.0, 0.0, points.MAX_PSF_SIGMA_PX * 1.01, 5000.0])
def test_psf_sigma_must_be_finite_positive_and_bounded(sigma):
    with pytest.raises(points.RenderError, match=r"PSF sigma .*: give a number of pixels in \(0, 64\]"):
        _one_star(VIEW, sigma)


def test_the_widest_psf_still_puts_the_stars_flux_into_the_image():
    view = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, 600, 600, up=np.array([0.0, 1.0, 0.0]))
    image = _one_star(view, points.MAX_PSF_SIGMA_PX)[0].numpy()
    assert np.isclose(image.sum(axis=(0, 1))[1], 1.0)


@pytest.mark.parametrize("width, height", [(points.MAX_IMAGE_SIDE_PX + 1, 1), (1, points.MAX_IMAGE_SIDE_PX + 1),
                                           (9000, 9000), (100_000, 100_000)])
def test_image_size_is_bounded(width, height):
    view = pinhole(np.zeros(3), np.array([0.0, 0.0, 10.0]), 60.0, width, height, up=np.array([0.0, 1.0, 0.0]))
    with pytest.raises(points.RenderError, match=rf"image size {width} x {height} px: at most 16384 px a side and 67,108,864 px"):
        _one_star(view)
    assert issubclass(points.RenderError, HeliosError)


def test_the_bounds_admit_8k_uhd():
    points.check_image_size(7680, 4320)
    points.check_image_size(points.MAX_IMAGE_SIDE_PX, points.MAX_IMAGE_PIXELS // points.MAX_IMAGE_SIDE_PX)
    points.check_psf_sigma(points.MAX_PSF_SIGMA_PX)
