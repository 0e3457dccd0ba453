"""The Sun and the planets at an epoch, on the one photometric scale (``docs/solar-system.md``).

Places: JPL's DE421 through skyfield, read offline from the ``skyfield-data`` package (its span: 1899-07-29 to
2053-10-09), heliocentric ICRS (a body's position less the Sun's; Jupiter to Neptune as their systems' barycentres,
the only points DE421 has for them).  Brightness: the Sun is a star of M_V = 4.83; a planet sends back sunlight,
V = V(1,0) + 5 log10(r delta) + its phase law, by the formulas of Mallama & Hilton 2018 (Astronomy and Computing 25,
10-24; the coefficients as skyfield's ``magnitudelib`` has them; the Moon's by Allen 1973, Astrophysical Quantities,
p. 144: -12.73 + 0.026 a + 4e-9 a^4 at 1 au and 384,400 km, a the phase angle in degrees), for a camera anywhere: beyond the phase angles seen
from the Earth (Saturn's rings beyond 6.5 degrees, Neptune's phase term before 2000) the planet's globe alone.  A
body is drawn as a point whose absolute magnitude makes its flux at the camera that of its apparent magnitude.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from helios import astro, colour, photometry
from helios.errors import HeliosError

AU_PC = 4.84813681109536e-6  # 1 au in pc (IAU 2012 au, IAU 2015 pc)
SUN_ABS_MAG_V = 4.83
SUN_TEFF_K = 5772.0  # IAU 2015 Resolution B3, nominal effective temperature
#: The planets and their points in DE421.
PLANETS = {"mercury": "mercury", "venus": "venus", "earth": "earth", "mars": "mars", "jupiter": "jupiter barycenter",
           "saturn": "saturn barycenter", "uranus": "uranus barycenter", "neptune": "neptune barycenter"}
#: Equatorial radii, km: the Sun's nominal (IAU 2015 B3), the planets' from the IAU WGCCRE report (Archinal et al.
#: 2018, Celestial Mechanics and Dynamical Astronomy 130:22); a body larger than a pixel is drawn as a disc this size.
RADIUS_KM = {"sun": 695700.0, "moon": 1737.4, "mercury": 2440.53, "venus": 6051.8, "earth": 6378.1366, "mars": 3396.19, "jupiter": 71492.0,
             "saturn": 60268.0, "uranus": 25559.0, "neptune": 24764.0}
KM_PC = 1 / 3.0856775814913673e13
#: The distance Allen's lunar magnitudes are given at (384,400 km), au.
MOON_MEAN_DISTANCE_AU = 384400.0 / 149597870.7
#: DE421's span in Julian years (JD 2414864.5 to 2471184.5, TDB).
DE421_SPAN = (2000.0 + (2414864.5 - 2451545.0) / 365.25, 2000.0 + (2471184.5 - 2451545.0) / 365.25)
#: Saturn's and Uranus's north poles, unit vectors in ICRS (as skyfield's magnitudelib takes them).
SATURN_POLE = np.array([0.08547883, 0.07323576, 0.99364475])
URANUS_POLE = np.array([-0.21199958, -0.94155916, -0.26176809])


class SolarSystemError(HeliosError):
    pass


@functools.cache
def ephemeris() -> tuple[Any, Any]:
    """DE421 and a timescale, from the ``skyfield-data`` package (no download)."""
    try:
        from skyfield.api import Loader
        from skyfield_data import get_skyfield_data_path
    except ImportError as exc:
        raise SolarSystemError(f"the solar system needs skyfield and skyfield-data ({exc}); pip install -e .") from None
    with warnings.catch_warnings():  # its Earth-orientation file has a date; DE421 is valid to 2053, and none is used here
        warnings.simplefilter("ignore", RuntimeWarning)
        path = get_skyfield_data_path()
    load = Loader(path, expire=False, verbose=False)
    return load("de421.bsp"), load.timescale()


def check_epoch(epoch: float) -> None:
    if not DE421_SPAN[0] <= epoch <= DE421_SPAN[1]:
        raise SolarSystemError(f"epoch {epoch:g}: the planets' places come from DE421, which spans {DE421_SPAN[0]:.2f} to "
                               f"{DE421_SPAN[1]:.2f}")


def heliocentric_au(epoch: float, moon: bool = False) -> dict[str, np.ndarray]:
    """Each planet's place at Julian year ``epoch`` (TT), and the Moon's with ``moon``: ICRS, au from the Sun,
    geometric (no light time)."""
    check_epoch(epoch)
    eph, ts = ephemeris()
    t = ts.J(epoch)
    sun = eph["sun"].at(t).position.au
    targets = {**PLANETS, "moon": "moon"} if moon else PLANETS
    return {name: eph[target].at(t).position.au - sun for name, target in targets.items()}


#: The Sun's GM in the Gaussian gravitational constant's units, au^3 a day^2 (k = 0.01720209895).
GAUSS_GM = 0.01720209895**2
#: Points on each orbit line.
ORBIT_POINTS = 360


def states_au(epoch: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each planet's place (au) and velocity (au a day) at Julian year ``epoch`` (TT): ICRS, relative to the Sun."""
    check_epoch(epoch)
    _, ts = ephemeris()
    return {name: heliocentric_state(name, ts.J(epoch)) for name in PLANETS}


def heliocentric_state(body: str, t: Any) -> tuple[np.ndarray, np.ndarray]:
    """A planet's or the Moon's place (au) and velocity (au a day) relative to the Sun, ICRS, at skyfield time(s) ``t``
    (``[3]`` or ``[3, N]`` each)."""
    eph, _ = ephemeris()
    sun, moving = eph["sun"].at(t), eph[{**PLANETS, "moon": "moon"}[body]].at(t)
    return moving.position.au - sun.position.au, moving.velocity.au_per_d - sun.velocity.au_per_d


def orbit_ellipse(position: np.ndarray, velocity: np.ndarray, count: int = ORBIT_POINTS) -> np.ndarray:
    """``[count, 3]``: the osculating ellipse about the Sun of a body at ``position`` (au) moving at ``velocity``
    (au a day), from the eccentricity vector: ``count`` points evenly spaced in eccentric anomaly, the first the body's
    own place (so the line runs through it, whatever the perturbations)."""
    r, v = np.asarray(position, np.float64), np.asarray(velocity, np.float64)
    h = np.cross(r, v)
    e_vec = np.cross(v, h) / GAUSS_GM - r / np.linalg.norm(r)
    e = float(np.linalg.norm(e_vec))
    a = 1 / (2 / np.linalg.norm(r) - v @ v / GAUSS_GM)
    p = e_vec / e if e > 1e-12 else r / np.linalg.norm(r)
    q = np.cross(h / np.linalg.norm(h), p)
    here = np.arctan2((r @ q) / np.sqrt(1 - e * e), r @ p + a * e)  # the body's eccentric anomaly
    E = here + 2 * np.pi * np.arange(count) / count
    return a * (np.cos(E) - e)[:, None] * p + a * np.sqrt(1 - e * e) * np.sin(E)[:, None] * q


def orbit_segments(epoch: float, frame: str = "icrs") -> tuple[np.ndarray, np.ndarray]:
    """The planets' orbit lines at ``epoch``: the segments' starts and ends (pc, the universe's frame)."""
    turn = astro.icrs_to_frame(frame)
    starts, ends = [], []
    for position, velocity in states_au(epoch).values():
        points = orbit_ellipse(position, velocity) @ turn.T * AU_PC
        starts.append(points)
        ends.append(np.roll(points, -1, axis=0))
    return np.concatenate(starts), np.concatenate(ends)


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b)), np.dot(a, b))))


def _poly(x: float, coefficients: tuple[float, ...]) -> float:
    """c0 + c1 x + c2 x^2 + ..."""
    return float(sum(c * x**k for k, c in enumerate(coefficients)))


def planet_magnitude(planet: str, sun_to_planet: np.ndarray, observer_to_planet: np.ndarray, year: float) -> float:
    """V magnitude of ``planet`` seen from the observer (vectors in au, ICRS): Mallama & Hilton 2018 (the module's
    docstring), the planet's globe alone beyond the phase angles its geocentric formula was fitted to."""
    r, delta = float(np.linalg.norm(sun_to_planet)), float(np.linalg.norm(observer_to_planet))
    a = _angle_deg(sun_to_planet, observer_to_planet)  # the phase angle: Sun-planet-observer
    distance = 5 * np.log10(r * delta)
    if planet == "mercury":
        return -0.613 + distance + _poly(a, (0, 6.3280e-02, -1.6336e-03, 3.3644e-05, -3.4265e-07, 1.6893e-09, -3.0334e-12))
    if planet == "venus":
        if a < 163.7:
            return -4.384 + distance + _poly(a, (0, -1.044e-03, 3.687e-04, -2.814e-06, 8.938e-09))
        return -4.384 + distance + _poly(a, (236.05828 + 4.384, -2.81914, 8.39034e-03))
    if planet == "earth":
        return -3.99 + distance + _poly(a, (0, -1.060e-03, 2.054e-04))
    if planet == "mars":
        if a <= 50.0:
            return -1.601 + distance + _poly(a, (0, 2.267e-02, -1.302e-04))
        return -0.367 + distance + _poly(a, (0, -0.02573, 0.0003445))
    if planet == "jupiter":
        if a <= 12.0:
            return -9.395 + distance + _poly(a, (0, -3.7e-04, 6.16e-04))
        x = a / 180.0
        return -9.428 + distance - 2.5 * np.log10(_poly(x, (1.0, -1.507, -0.363, -0.062, 2.809, -1.876)))
    if planet == "saturn":
        sun_lat = _angle_deg(SATURN_POLE, sun_to_planet) - 90.0
        observer_lat = _angle_deg(SATURN_POLE, observer_to_planet) - 90.0
        both = sun_lat * observer_lat
        ring_lat = np.sqrt(both) if both >= 0 else 0.0
        if a <= 6.5 and ring_lat <= 27.0:  # the globe and rings, as seen from the Earth
            s = np.sin(np.radians(ring_lat))
            return -8.914 - 1.825 * s + 0.026 * a - 0.378 * s * np.exp(-2.25 * a) + distance
        return distance + _poly(a, (-8.94, 2.446e-4, 2.672e-4, -1.506e-6, 4.767e-9))  # the globe alone, any phase
    if planet == "uranus":
        latitude = (abs(_angle_deg(URANUS_POLE, sun_to_planet) - 90.0) + abs(_angle_deg(URANUS_POLE, observer_to_planet) - 90.0)) / 2
        phase = (1.045e-4 * a + 6.587e-3) * a if a > 3.1 else 0.0
        return -7.110 + distance - 0.00084 * latitude + phase
    if planet == "moon":  # Allen 1973 (Astrophysical Quantities, p. 144) at its mean distance, 384,400 km, and 1 au
        return -12.73 + 0.026 * a + 4e-9 * a**4 + 5 * np.log10(r * delta / MOON_MEAN_DISTANCE_AU)
    if planet == "neptune":
        base = float(np.clip(-6.89 - 0.0054 * (year - 1980.0), -7.00, -6.89))
        return base + distance + (7.944e-3 * a + 9.617e-5 * a * a if a > 1.9 else 0.0)
    raise SolarSystemError(f"no magnitude formula for {planet!r}")


def sun_colour() -> np.ndarray:
    """The Sun's light (and the planets', which is sunlight sent back): a 5772 K black body, unit luminance."""
    return photometry.unit_luminance(colour.blackbody_linear_srgb(np.array([SUN_TEFF_K])))[0]


def bodies(epoch: float, observer_pc: np.ndarray, frame: str = "icrs") -> dict[str, Any]:
    """The Sun, the planets and the Moon at ``epoch`` seen from ``observer_pc`` (pc in the universe's frame): their places (pc,
    that frame), the absolute magnitudes that give each its apparent magnitude at the observer, colours and names;
    a body the observer stands on (closer than 1e-12 pc) is left out."""
    planets = heliocentric_au(epoch, moon=True)
    turn = astro.icrs_to_frame(frame)
    observer_au = turn.T @ np.asarray(observer_pc, np.float64) / AU_PC  # ICRS, au from the Sun
    names, places, magnitudes = ["sun"], [np.zeros(3)], [SUN_ABS_MAG_V]
    for name, place in planets.items():
        seen = place - observer_au
        if np.linalg.norm(seen) * AU_PC < 1e-12:
            continue
        apparent = planet_magnitude(name, place, seen, epoch)
        names.append(name)
        places.append(place)
        magnitudes.append(apparent - 5 * np.log10(np.linalg.norm(seen) * AU_PC / 10))
    positions = (np.asarray(places) @ turn.T) * AU_PC
    keep = np.linalg.norm(positions - np.asarray(observer_pc), axis=1) >= 1e-12
    return {"names": [n for n, k in zip(names, keep) if k], "positions_pc": positions[keep],
            "abs_mag": np.asarray(magnitudes)[keep], "colours": np.tile(sun_colour(), (int(keep.sum()), 1))}
