import numpy as np
import pytest

from helios import photometry


def test_magnitudes_and_fluxes():
    assert photometry.flux_from_magnitude(0.0) == 1.0
    assert np.isclose(photometry.flux_from_magnitude(1.0) / photometry.flux_from_magnitude(6.0), 100.0)
    assert np.isclose(photometry.magnitude_from_flux(photometry.flux_from_magnitude(-1.46)), -1.46)
    assert photometry.magnitude_from_flux(0.0) == np.inf
    # the Sun (M_V 4.83) from 10 pc, and Sirius's distance modulus
    assert np.isclose(photometry.apparent_magnitude(4.83, 10.0), 4.83)
    assert np.isclose(photometry.apparent_magnitude(1.42, 2.64), 1.42 + 5 * np.log10(0.264))
    assert np.isclose(photometry.luminosity(0.0) * (10.0 / 20.0) ** 2, photometry.flux_from_magnitude(photometry.apparent_magnitude(0.0, 20.0)))


def test_unit_luminance_colours():
    rgb = np.array([[1.0, 0.5, 0.2], [0.2, 0.4, 1.0], [0.0, 0.0, 0.0]])
    unit = photometry.unit_luminance(rgb)
    assert np.allclose(photometry.luminance(unit), 1.0)
    assert np.allclose(unit[0] / unit[0, 0], rgb[0] / rgb[0, 0])  # hue kept
    assert np.allclose(unit[2], 1.0)  # no light: white
    assert np.isclose(photometry.luminance(np.ones(3)), 1.0)


def test_the_limiting_magnitude_sets_the_exposure_and_the_tone_map_saturates_smoothly():
    exposure = photometry.exposure_for(6.5)
    assert np.isclose(exposure * photometry.flux_from_magnitude(6.5), photometry.LIMIT_EXPOSED_FLUX)
    assert np.isclose(photometry.exposure_for(7.5) / exposure, 10 ** 0.4)
    shown = photometry.tone_map(np.array([0.0, 1e-4, 0.01, 1.0, 100.0]))
    assert shown[0] == 0.0 and np.all(np.diff(shown) > 0) and shown[-1] == pytest.approx(1.0)
    # faint light stays linear before the sRGB curve: doubling it doubles the compressed value
    assert np.isclose(-np.expm1(-2e-5) / -np.expm1(-1e-5), 2.0, rtol=1e-4)
    image = np.zeros((2, 2, 3))
    image[0, 0] = photometry.flux_from_magnitude(6.5) * 0.22  # a limit star's central pixel (sigma 0.8 px)
    display = photometry.display_image(image, 6.5)
    assert display.dtype == np.uint8 and 10 <= display[0, 0, 0] <= 20 and display[1, 1].max() == 0
