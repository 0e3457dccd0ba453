import numpy as np

from helios.measure import aperture_flux


def test_aperture_flux_sums_a_star_and_removes_a_flat_background():
    image = np.full((40, 40), 0.01)
    image[19:21, 19:21] += 0.25  # a star of flux 1 over four pixels around (20, 20)
    flux = aperture_flux(image, np.array([20.0, 2.0]), np.array([20.0, 2.0]), 3.0, (5.0, 8.0))
    assert np.isclose(flux[0], 1.0)
    assert np.isnan(flux[1])  # the annulus leaves the image


def test_aperture_flux_fails_when_the_star_is_missed():
    image = np.zeros((40, 40))
    image[10, 10] = 1.0
    assert np.isclose(aperture_flux(image, np.array([20.0]), np.array([20.0]), 3.0, (5.0, 8.0))[0], 0.0)
