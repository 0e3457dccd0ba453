"""The automatic exposure (helios/render/exposure.py): the limiting magnitude read from the light in view."""

from __future__ import annotations

import numpy as np
import pytest

from helios.render import exposure
from helios.render.exposure import auto_limiting_mag


def sky(seed=3, stars=400, flux=1e-3, size=(180, 320)):
    rng = np.random.default_rng(seed)
    image = np.zeros((*size, 3))
    ys, xs = rng.integers(0, size[0], stars), rng.integers(0, size[1], stars)
    np.add.at(image, (ys, xs), flux * rng.pareto(1.5, stars)[:, None])
    return image


def test_a_hundred_times_the_light_is_five_magnitudes_brighter():
    image = sky()
    assert auto_limiting_mag(100 * image) == pytest.approx(auto_limiting_mag(image) - 5, abs=1e-9)


def test_the_rule_as_documented():
    import torch

    from helios import photometry
    from helios.render.glare import pyramid

    image = sky()
    octave = pyramid(torch.as_tensor(image), 3)[2][0].permute(1, 2, 0).reshape(-1, 3).numpy()
    p = np.percentile(photometry.luminance(octave), 99.5)
    assert auto_limiting_mag(image) == pytest.approx(2.5 * np.log10(0.25 / (p * 0.02)))


def test_a_black_view_takes_the_faintest_limit_and_a_dazzling_one_the_brightest():
    assert auto_limiting_mag(np.zeros((90, 160, 3))) == exposure.AUTO_LIMITING_MAG_MAX
    assert auto_limiting_mag(np.full((90, 160, 3), 1e6)) == exposure.AUTO_LIMITING_MAG_MIN


def test_a_lone_bright_star_counts_for_less_than_a_bright_region():
    lone, region = np.zeros((180, 320, 3)), np.zeros((180, 320, 3))
    lone[90, 160] = 1.0  # the same light, in one pixel or spread over 20 x 20
    region[80:100, 150:170] = 1.0 / 400
    assert auto_limiting_mag(lone) > auto_limiting_mag(region) + 0.3  # measured: 10.48 against 9.94 mag
