import numpy as np
import pytest

from helios import astro


@pytest.mark.parametrize(
    "name, parallax, expected_pc",
    [("Sirius", 379.21, 2.637), ("Vega", 130.23, 7.679), ("Betelgeuse", 6.55, 152.7)],
)
def test_hipparcos_distances(name, parallax, expected_pc):
    # Hipparcos-2 parallaxes need no zero-point.
    assert astro.distance_from_parallax(np.array([parallax]), 0.0)[0] == pytest.approx(expected_pc, abs=0.0006 * expected_pc)


def test_zero_point_is_subtracted():
    # 1 mas measured with a -0.017 mas zero point is 1.017 mas true parallax.
    assert astro.distance_from_parallax(np.array([1.0]), -0.017)[0] == pytest.approx(1000 / 1.017)


def test_nonpositive_parallax_gives_nan():
    d = astro.distance_from_parallax(np.array([0.0, -1.0, 2.0]), 0.0)
    assert np.isnan(d[:2]).all() and d[2] == 500.0


def test_edsd_mode_matches_bailer_jones_examples():
    d = astro.edsd_mode_distance(np.array([1.0, -0.1]), np.array([0.1, 0.3]), 1350.0, zero_point_mas=0.0)
    assert d[0] == pytest.approx(1013, abs=1)
    assert d[1] == pytest.approx(4008, abs=1)


def test_edsd_tends_to_inverse_parallax_at_high_snr():
    d = astro.edsd_mode_distance(np.array([100.0]), np.array([0.01]), zero_point_mas=0.0)
    assert d[0] == pytest.approx(10.0, rel=1e-4)


def test_edsd_mode_is_the_posterior_maximum():
    rng = np.random.default_rng(0)
    w = rng.uniform(-1, 3, 50)
    s = rng.uniform(0.05, 1.0, 50)
    modes = astro.edsd_mode_distance(w, s, 1350.0, zero_point_mas=0.0)
    r = np.linspace(1, 20000, 200001)
    for wi, si, mode in zip(w * 1e-3, s * 1e-3, modes):
        log_post = 2 * np.log(r) - r / 1350.0 - (wi - 1 / r) ** 2 / (2 * si**2)
        assert mode == pytest.approx(r[np.argmax(log_post)], abs=0.2)


def test_edsd_without_error_is_nan():
    assert np.isnan(astro.edsd_mode_distance(np.array([1.0]), np.array([np.nan]))).all()


def test_sirius_galactic_coordinates():
    # Sirius (Hipparcos-2, ICRS): l, b = 227.2282, -8.8878.
    lon, lat = astro.galactic_lb(np.array([101.28715533]), np.array([-16.71611586]))
    assert lon[0] == pytest.approx(227.2282, abs=0.005)
    assert lat[0] == pytest.approx(-8.8878, abs=0.005)


def test_galactic_pole_and_centre():
    # North galactic pole (ICRS 192.85948, 27.12825) and centre (266.40499, -28.93617), J2000.
    lon, lat = astro.galactic_lb(np.array([192.85948, 266.40499]), np.array([27.12825, -28.93617]))
    assert lat[0] == pytest.approx(90.0, abs=0.01)
    assert lat[1] == pytest.approx(0.0, abs=0.01)
    assert min(lon[1], 360 - lon[1]) == pytest.approx(0.0, abs=0.01)


def test_rotation_is_orthonormal():
    a = astro.ICRS_TO_GALACTIC
    assert np.allclose(a @ a.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(a) == pytest.approx(1.0, abs=1e-9)


def test_cartesian_axes():
    xyz = astro.icrs_to_cartesian(np.array([0.0, 90.0, 0.0]), np.array([0.0, 0.0, 90.0]), np.array([2.0, 3.0, 4.0]))
    assert np.allclose(xyz, [[2, 0, 0], [0, 3, 0], [0, 0, 4]], atol=1e-12)


def test_absolute_magnitude():
    assert astro.absolute_magnitude(np.array([5.0]), np.array([10.0]))[0] == pytest.approx(5.0)
    assert astro.absolute_magnitude(np.array([5.0]), np.array([100.0]))[0] == pytest.approx(0.0)
