import math

import numpy as np
import pytest
import torch

from helios.cameras import Views, look_at, sample_views
from helios.seed.render.reference import render_starfield, starfield_exposure


def one_view(size=33, distance=3.0):
    focal = 40.0
    view = look_at(np.array([0.0, 0.0, -distance]), np.zeros(3), 0.0)
    K = np.array([[focal, 0, size / 2], [0, focal, size / 2], [0, 0, 1.0]])
    return Views(torch.tensor(view[None], dtype=torch.float32), torch.tensor(K[None], dtype=torch.float32), size, size)


def test_a_star_is_a_psf_at_its_projection():
    views = one_view()
    image = render_starfield(np.zeros((1, 3)), np.array([[1.0, 0.5, 0.25]]), np.array([9.0]), views, exposure=0.05, psf_sigma_px=1.0)[0].numpy()
    # Peak at the centre pixel: exposure * L / d^2 * exp(-r^2 / 2), r = 0 for the pixel centre 16.5.
    peak = 0.05 * 9.0 / 9.0
    assert image[16, 16, 0] == pytest.approx(peak, abs=1e-9)
    assert abs(image[16, 16, 1] - 0.5 * peak) < 1e-9
    assert abs(image[16, 17, 0] - peak * math.exp(-0.5)) < 1e-9
    assert abs(image[..., 0].sum() - peak * 2 * math.pi) < 1e-3  # PSF integrates to 2 pi sigma^2


def test_saturation_and_stars_behind_the_camera():
    views = one_view()
    image = render_starfield(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -5.0]]), np.ones((2, 3)), np.array([1e6, 1e6]), views, exposure=1.0)[0].numpy()
    assert image.max() == 1.0  # clipped
    assert image[0, 0].sum() == 0.0  # only the front star, well away from the corner


def test_exposure_saturates_the_brightest_tenth():
    views = sample_views(4, 32, seed=0)
    lum = np.arange(1, 101, dtype=float)
    exposure = starfield_exposure(np.zeros((100, 3)), lum, views)
    eyes = [np.linalg.inv(v.numpy())[:3, 3] for v in views.viewmats]
    d2 = np.mean([np.linalg.norm(e) for e in eyes]) ** 2
    assert exposure * np.percentile(lum, 90) / d2 == pytest.approx(1.0, rel=1e-6)


def test_stars_on_and_beyond_the_edges_match_the_pixel_by_pixel_definition():
    """Each star's PSF stamp (9 x 9 pixels around its centre pixel, sigma 1) added pixel by pixel, written the obvious way."""
    size, focal, distance = 20, 40.0, 3.0
    views = one_view(size, distance)
    # Pixel centres (u, v): (10, 10), (11.3, 6.4), (6.5, 14), (19.3, 10) by the right edge, (22, 10) and (10, -2)
    # beyond the right and top edges (their stamps still reach in), (36.7, 3.3) far outside, and a NaN star.
    positions = np.array([[0.0, 0.0, 0.0], [0.27, 0.1, 0.0], [-0.3, -0.26, 0.0], [0.0, 0.7, 0.0], [0.0, 0.9, 0.0], [0.9, 0.0, 0.0],
                          [0.5, 2.0, 0.0], [np.nan, 0.0, 0.0]])
    rgb = np.array([[1.0, 0.5, 0.25], [0.2, 1.0, 0.4], [1.0, 1.0, 1.0], [0.6, 0.3, 0.9], [0.3, 0.9, 0.5], [0.9, 0.2, 0.6],
                    [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    luminosity = np.array([9.0, 5.0, 7.0, 8.0, 30.0, 30.0, 9.0, 9.0])
    image = render_starfield(positions, rgb, luminosity, views, exposure=0.05)[0].numpy()
    cam = positions @ views.viewmats[0, :3, :3].double().numpy().T + views.viewmats[0, :3, 3].double().numpy()
    expected = np.zeros((size, size, 3))
    for (x, y, z), colour, lum in zip(cam, rgb, luminosity):
        if not np.isfinite([x, y, z]).all():
            continue
        u, v = focal * x / z + size / 2, focal * y / z + size / 2
        peak = 0.05 * lum / (x * x + y * y + z * z)
        for py in range(size):
            for px in range(size):
                if abs(px - math.floor(u)) <= 4 and abs(py - math.floor(v)) <= 4:
                    expected[py, px] += colour * peak * math.exp(-((px + 0.5 - u) ** 2 + (py + 0.5 - v) ** 2) / 2)
    assert np.abs(image - np.clip(expected, 0, 1)).max() < 1e-12
    assert expected[:, -1].sum() > 0.01 and expected[0].sum() > 0.01  # the stars beyond the edges did reach in


def crowded_field(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) * 0.5, rng.uniform(0.2, 1.0, (n, 3)), rng.lognormal(0.0, 2.0, n)


def test_the_same_images_every_run_with_several_threads():
    positions, rgb, luminosity = crowded_field()
    views = sample_views(3, 64, seed=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        runs = [render_starfield(positions, rgb, luminosity, views, exposure=0.1) for _ in range(3)]
    finally:
        torch.set_num_threads(threads)
    assert all(torch.equal(runs[0], r) for r in runs[1:])
    assert runs[0].dtype == torch.float64 and runs[0].shape == (3, 64, 64, 3) and runs[0].max() == 1.0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_the_gpu_renders_the_cpu_images():
    positions, rgb, luminosity = crowded_field()
    views = sample_views(4, 96, seed=2)
    cpu = render_starfield(positions, rgb, luminosity, views, exposure=0.01)
    gpu = render_starfield(positions, rgb, luminosity, views, exposure=0.01, device="cuda")
    assert gpu.device.type == "cuda"
    assert (gpu.cpu() - cpu).abs().max().item() < 1e-12
