"""Minor planets (helios/minor_planets.py): places against skyfield's Kepler orbits, the H-G law, minor_planets.bin."""

import io
import math
from importlib.resources import files

import numpy as np
import pytest

from helios import minor_planets as mp
from helios import solar
from helios.mpcorb import read_mpcorb
from helios.synthetic_belt import write_synthetic_mpcorb
from tests.test_mpcorb import data_lines

mpc = pytest.importorskip("skyfield.data.mpc", reason="skyfield is not installed (pip install -e .)")
LARGEST = files("helios") / "data" / "mpcorb_largest.dat"
GM_GAUSS_KM3_S2 = 0.01720209895**2 * 149597870.7**3 / 86400**2  # the Gaussian constant's GM, as MPCORB's n has it
DATES_JD = (2451545.0, 2458849.5, 2461000.5, 2462502.5, 2469807.5)  # 2000, 2020, 2025 Nov 21, 2030, 2050


def arcsec(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))) * 3600


@pytest.fixture(scope="module")
def compared_orbits(tmp_path_factory):
    """The 29 real orbits and 200 synthetic ones (main belt, Trojans, near-Earth objects up to e 0.95), with skyfield's
    frame of the same lines."""
    belt = write_synthetic_mpcorb(tmp_path_factory.mktemp("belt") / "belt.dat", 200, seed=11)
    orbits, frames = [], []
    for path in (LARGEST, belt):
        orbits.append(read_mpcorb(path)[0])
        frames.append(mpc.load_mpcorb_dataframe(io.BytesIO(data_lines(path))))
    import pandas as pd

    return np.concatenate(orbits), pd.concat(frames, ignore_index=True)


def test_places_are_skyfields_kepler_orbits(compared_orbits):
    """229 orbits at 5 dates 2000-2050, seen from the Sun and from the Earth (DE421): within 1" of skyfield's
    mpcorb_orbit on the same lines (it takes n from a and GM, HELIOS the file's n: they agree to its 8 decimals)."""
    orbits, frame = compared_orbits
    eph, ts = solar.ephemeris()
    worst_sun = worst_earth = 0.0
    for jd in DATES_JD:
        t = ts.tt_jd(jd)
        mine = mp.heliocentric_au(orbits, jd)
        theirs = np.array([mpc.mpcorb_orbit(row, ts, GM_GAUSS_KM3_S2).at(t).position.au for _, row in frame.iterrows()])
        earth = eph["earth"].at(t).position.au - eph["sun"].at(t).position.au
        np.testing.assert_allclose(np.linalg.norm(mine, axis=1), np.linalg.norm(theirs, axis=1), rtol=1e-6)
        worst_sun = max(worst_sun, arcsec(mine, theirs).max())
        worst_earth = max(worst_earth, arcsec(mine - earth, theirs - earth).max())
    assert len(orbits) >= 200 and worst_sun < 1.0 and worst_earth < 1.0, (worst_sun, worst_earth)


def test_a_wrong_element_is_caught(compared_orbits):
    """A mean motion off by one part in a million moves the places by more than an arcsecond within decades."""
    orbits, frame = compared_orbits
    eph, ts = solar.ephemeris()
    wrong = orbits.copy()
    wrong["motion_deg_day"] *= 1 + 1e-6  # what the file's n rounded to 8 decimals would do to Sedna, 65 times over
    t = ts.tt_jd(DATES_JD[-1])
    theirs = np.array([mpc.mpcorb_orbit(row, ts, GM_GAUSS_KM3_S2).at(t).position.au for _, row in frame.iterrows()])
    assert arcsec(mp.heliocentric_au(wrong, DATES_JD[-1]), theirs).max() > 1.0


def test_keplers_equation_is_solved_for_every_eccentricity():
    M = np.linspace(-np.pi, np.pi, 2001)
    for e in (0.0, 0.1, 0.5, 0.9, 0.99, 0.999):
        E = mp.eccentric_anomaly(M, np.full_like(M, e))
        np.testing.assert_allclose(E - e * np.sin(E), M, atol=1e-12)


def hg_by_hand(h: float, g: float, r: float, delta: float, alpha_deg: float) -> float:
    """Bowell et al. 1989, written out for one body."""
    t = math.tan(math.radians(alpha_deg) / 2)
    phi1, phi2 = math.exp(-3.33 * t**0.63), math.exp(-1.87 * t**1.22)
    return h + 5 * math.log10(r * delta) - 2.5 * math.log10((1 - g) * phi1 + g * phi2)


def test_apparent_magnitudes_are_the_hg_law():
    """V at full phase is H + 5 log10(r delta); at other phases, the H-G law written out by hand; Ceres at opposition
    is about 7 mag (its V at a 2.6 au opposition, with the MPC's H 3.35)."""
    rng = np.random.default_rng(2)
    for _ in range(200):
        r_au, delta_au, alpha = rng.uniform(1.1, 5), rng.uniform(0.1, 6), rng.uniform(0, 170)
        sun_to_body = np.array([r_au, 0, 0])
        seen = delta_au * np.array([math.cos(math.radians(alpha)), math.sin(math.radians(alpha)), 0])
        h, g = rng.uniform(3, 20), rng.uniform(-0.1, 0.6)
        assert mp.hg_magnitude(h, g, sun_to_body, seen) == pytest.approx(hg_by_hand(h, g, r_au, delta_au, alpha), abs=1e-9)
    assert mp.hg_magnitude(3.35, 0.15, np.array([2.6, 0, 0]), np.array([1.6, 0, 0])) == pytest.approx(3.35 + 5 * math.log10(2.6 * 1.6))
    assert 6.4 < mp.hg_magnitude(3.35, 0.15, np.array([2.6, 0, 0]), np.array([1.6, 0, 0])) < 6.5


def test_the_file_round_trips_brightest_first(tmp_path):
    """minor_planets.bin: every orbit back, brightest first, in chunks that double; its places (the mean anomaly moved
    to the file's epoch, elements in float32, whose half step at 360 degrees is 0.055") within 0.2" of the orbits read;
    the named objects listed."""
    belt = write_synthetic_mpcorb(tmp_path / "belt.dat", 40_000, seed=5)
    orbits, names, summary = read_mpcorb(belt)
    directory = mp.write_minor_planets(tmp_path / "minor_planets.bin", orbits, names, summary.as_dict(), synthetic=True)
    again, table = mp.read_minor_planets(tmp_path / "minor_planets.bin")
    assert again == directory and directory["synthetic"] and directory["names"] == []
    assert [c["count"] for c in directory["chunks"]] == [16_384, 23_616]
    assert all(c["offset"] % 64 == 0 for c in directory["chunks"])
    assert np.all(np.diff(table["h"]) >= 0) and len(table) == 40_000
    order = np.lexsort((orbits["number"], orbits["h"]))
    jd = 2462502.5
    back = mp.heliocentric_au(mp.as_orbits(table, directory["epoch_jd"]), jd)
    assert arcsec(back, mp.heliocentric_au(orbits[order], jd)).max() < 0.2

    real, real_names, real_summary = read_mpcorb(LARGEST)
    listed = mp.write_minor_planets(tmp_path / "largest.bin", real, real_names, real_summary.as_dict())["names"]
    assert [number for _, number, name in listed if name == "Eros"] == [433] and len(listed) == 29


def test_a_damaged_file_is_refused(tmp_path):
    orbits, names, summary = read_mpcorb(LARGEST)
    path = tmp_path / "minor_planets.bin"
    directory = mp.write_minor_planets(path, orbits, names, summary.as_dict())
    data = bytearray(path.read_bytes())
    data[directory["chunks"][0]["offset"] + 5] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(mp.MinorPlanetError, match="chunk 0 .* fails its SHA-256"):
        mp.read_minor_planets(path)
    (tmp_path / "other.bin").write_bytes(b"HELIOSPK" + bytes(100))
    with pytest.raises(mp.MinorPlanetError, match="not a HELIOS minor planets file"):
        mp.read_minor_planets(tmp_path / "other.bin")


def test_a_minor_planet_without_h_is_not_drawn(tmp_path):
    """Its brightness is unknown: seen_from leaves it out (the client gives its shader H 99, which it culls)."""
    orbits, names, summary = read_mpcorb(LARGEST)
    orbits["h"][3] = np.nan
    directory = mp.write_minor_planets(tmp_path / "minor_planets.bin", orbits, names, summary.as_dict())
    _, table = mp.read_minor_planets(tmp_path / "minor_planets.bin")
    assert np.isnan(table["h"][-1])  # no H: last
    places, abs_mag = mp.seen_from(directory, table, 2026.0, np.array([1.0, 0.0, 0.0]))
    assert len(places) == len(table) - 1 and np.all(np.isfinite(abs_mag))
