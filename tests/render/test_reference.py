import math

import numpy as np
import pytest
import torch

from helios.cameras import Views, look_at, sample_views
from helios.render.reference import render_starfield, starfield_exposure


def one_view(size=33, distance=3.0):
    focal = 40.0
    view = look_at(np.array([0.0, 0.0, -distance]), np.zeros(3), 0.0)
    K = np.array([[focal, 0, size / 2], [0, focal, size / 2], [0, 0, 1.0]])
    return Views(torch.tensor(view[None], dtype=torch.float32), torch.tensor(K[None], dtype=torch.float32), size, size)


def test_a_star_is_a_psf_at_its_projection():
    views = one_view()
    image = render_starfield(np.zeros((1, 3)), np.array([[1.0, 0.5, 0.25]]), np.array([9.0]), views, exposure=0.05, psf_sigma_px=1.0)[0]
    # Peak at the centre pixel: exposure * L / d^2 * exp(-r^2 / 2), r = 0 for the pixel centre 16.5.
    peak = 0.05 * 9.0 / 9.0
    assert image[16, 16, 0] == pytest.approx(peak, abs=1e-9)
    assert abs(image[16, 16, 1] - 0.5 * peak) < 1e-9
    assert abs(image[16, 17, 0] - peak * math.exp(-0.5)) < 1e-9
    assert abs(image[..., 0].sum() - peak * 2 * math.pi) < 1e-3  # PSF integrates to 2 pi sigma^2


def test_saturation_and_stars_behind_the_camera():
    views = one_view()
    image = render_starfield(np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -5.0]]), np.ones((2, 3)), np.array([1e6, 1e6]), views, exposure=1.0)[0]
    assert image.max() == 1.0  # clipped
    assert image[0, 0].sum() == 0.0  # only the front star, well away from the corner


def test_exposure_saturates_the_brightest_tenth():
    views = sample_views(4, 32, seed=0)
    lum = np.arange(1, 101, dtype=float)
    exposure = starfield_exposure(np.zeros((100, 3)), lum, views)
    eyes = [np.linalg.inv(v.numpy())[:3, 3] for v in views.viewmats]
    d2 = np.mean([np.linalg.norm(e) for e in eyes]) ** 2
    assert exposure * np.percentile(lum, 90) / d2 == pytest.approx(1.0, rel=1e-6)
