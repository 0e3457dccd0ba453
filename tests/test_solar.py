"""The Sun and the planets (helios/solar.py): DE421's places and Mallama & Hilton's magnitudes, against skyfield."""

import numpy as np
import pytest

from helios import astro, solar

skyfield = pytest.importorskip("skyfield", reason="skyfield is not installed (pip install -e .)")


def test_planets_magnitudes_seen_from_the_earth_are_skyfields():
    """At 20 dates 1900-2050, from the Earth: each planet's V as skyfield's planetary_magnitude gives it, from the same
    geometry (skyfield takes the Sun at the solar system's barycentre and the place seen with light time), wherever it
    gives one (none for Saturn beyond 6.5 degrees of phase, nor for Neptune's phase term before 2000)."""
    from skyfield.magnitudelib import planetary_magnitude

    eph, ts = solar.ephemeris()
    compared = 0
    for year in np.linspace(1900.5, 2049.5, 20):
        t = ts.J(year)
        for name, target in solar.PLANETS.items():
            if name == "earth":
                continue
            seen = eph["earth"].at(t).observe(eph[target])
            expected = float(planetary_magnitude(seen))
            if not np.isfinite(expected):
                continue
            sun_to_planet = seen.center_barycentric.xyz.au + seen.xyz.au
            assert solar.planet_magnitude(name, sun_to_planet, seen.xyz.au, year) == pytest.approx(expected, abs=1e-9), (name, year)
            compared += 1
    assert compared >= 130


def test_beyond_the_earths_view_a_planet_still_has_a_magnitude():
    """From beside Saturn (phase 90 degrees) skyfield has none; the globe's formula gives one, fainter than at full phase."""
    places = solar.heliocentric_au(2020.0)
    saturn = places["saturn"]
    side = np.cross(saturn, [0, 0, 1.0])
    side = side / np.linalg.norm(side) * 0.5
    full = solar.planet_magnitude("saturn", saturn, saturn / np.linalg.norm(saturn) * 0.5, 2020.0)
    half = solar.planet_magnitude("saturn", saturn, -side, 2020.0)
    assert np.isfinite(half) and half > full


def test_the_sun_from_the_earth_and_the_bodies_seen_from_a_camera():
    places = solar.heliocentric_au(2000.0, moon=True)
    seen = solar.bodies(2000.0, places["earth"] * solar.AU_PC)  # from the Earth: the Earth itself is left out
    assert "earth" not in seen["names"] and seen["names"][0] == "sun"
    d = np.linalg.norm(seen["positions_pc"] - places["earth"] * solar.AU_PC, axis=1)
    apparent = seen["abs_mag"] + 5 * np.log10(d / 10)
    # V of the Sun: -26.74 at 1 au (4.83 + 5 log10(1 au / 10 pc)), the Earth 0.983 au from it on 2000 January 1
    assert apparent[0] == pytest.approx(-26.74 + 5 * np.log10(np.linalg.norm(places["earth"])), abs=0.005)
    jupiter = seen["names"].index("jupiter")
    assert apparent[jupiter] == pytest.approx(solar.planet_magnitude("jupiter", places["jupiter"], places["jupiter"] - places["earth"], 2000.0))
    galactic = solar.bodies(2000.0, np.zeros(3), "galactic")  # from the Sun: the Sun left out, the planets turned
    assert "sun" not in galactic["names"] and len(galactic["names"]) == 9  # the eight planets and the Moon
    icrs = np.array([places[name] for name in galactic["names"]]) * solar.AU_PC
    assert np.allclose(galactic["positions_pc"], icrs @ astro.ICRS_TO_GALACTIC.T, rtol=0, atol=1e-15)


def test_an_epoch_outside_de421_is_refused():
    with pytest.raises(solar.SolarSystemError, match="DE421, which spans 1899.57 to 2053.77"):
        solar.heliocentric_au(2100.0)


def test_orbit_lines_are_the_planets_osculating_ellipses():
    """Each planet's orbit line at 2026.0 starts at its DE421 place and is the ellipse skyfield's OsculatingElements
    finds from the same place and velocity (semimajor axis to 1e-12, eccentricity and perihelion to the line's
    sampling); the client's orbitEllipse gives the same points."""
    import json

    from skyfield.elementslib import OsculatingElements
    from skyfield.units import Distance, Velocity

    from tests.client.node import run_script

    _, ts = solar.ephemeris()
    mu_km3_s2 = solar.GAUSS_GM * 149597870.7**3 / 86400**2
    states = solar.states_au(2026.0)
    for name, (r, v) in states.items():
        points = solar.orbit_ellipse(r, v)
        elements = OsculatingElements(Distance(au=r), Velocity(au_per_d=v), ts.J(2026.0), mu_km3_s2)
        d = np.linalg.norm(points, axis=1)
        assert np.linalg.norm(points[0] - r) < 1e-12
        assert (d.max() + d.min()) / 2 == pytest.approx(elements.semi_major_axis.au, rel=1e-12), name
        assert (d.max() - d.min()) / (d.max() + d.min()) == pytest.approx(elements.eccentricity, abs=2e-5), name  # 360 points
        assert d.min() == pytest.approx(elements.periapsis_distance.au, rel=5e-5), name
        assert np.abs(points @ np.cross(r, v)).max() < 1e-12 * np.linalg.norm(np.cross(r, v)) * d.max()  # in the orbit's plane
    [out] = run_script("solar_cases.mjs", stdin=json.dumps({"ellipses": [[r.tolist(), v.tolist()] for r, v in states.values()]}))
    for (r, v), theirs in zip(states.values(), out["ellipses"]):
        np.testing.assert_allclose(np.array(theirs), solar.orbit_ellipse(r, v), rtol=0, atol=1e-12)


def test_the_moon_is_drawn_with_allens_magnitudes():
    """From the Earth's centre the full Moon of 2026 January 3 (10:03 UTC) is -12.7 to -12.9 (Allen: -12.73 at its mean
    distance, this one nearer), the first quarter of 2026 January 26 about 2.4 mag fainter; from 1 au away it is about
    +0.2 at full phase (its V(1,0))."""
    from helios import photometry

    _, ts = solar.ephemeris()
    for (month, day, hour), low, high in (((1, 3, 10.05), -12.95, -12.7), ((1, 26, 4.8), -10.6, -10.0)):
        year = 2000.0 + (ts.utc(2026, month, day, hour).tt - 2451545.0) / 365.25
        earth = solar.heliocentric_au(year)["earth"]
        seen = solar.bodies(year, earth * solar.AU_PC + np.array([0.0, 0.0, 1e-13]))
        k = seen["names"].index("moon")
        distance = np.linalg.norm(seen["positions_pc"][k] - earth * solar.AU_PC)
        assert low < photometry.apparent_magnitude(seen["abs_mag"][k], distance) < high
    moon = solar.heliocentric_au(2026.0, moon=True)["moon"]
    assert solar.planet_magnitude("moon", moon, moon / np.linalg.norm(moon), 2026.0) == pytest.approx(
        -12.73 + 5 * np.log10(np.linalg.norm(moon) / solar.MOON_MEAN_DISTANCE_AU), abs=1e-6)
