"""The synthetic MPCORB file (helios/synthetic_belt.py): the belt's structure, and the same bytes for the same seed."""

import gzip

import numpy as np
import pytest

from helios import minor_planets as mp
from helios import solar
from helios.mpcorb import read_mpcorb
from helios.synthetic_belt import KIRKWOOD, resonance_a, write_synthetic_mpcorb


@pytest.fixture(scope="module")
def belt(tmp_path_factory):
    path = write_synthetic_mpcorb(tmp_path_factory.mktemp("belt") / "MPCORB.DAT.gz", 100_000, seed=1)
    return path, *read_mpcorb(path)


def test_it_reads_as_mpcorb_and_says_it_is_synthetic(belt):
    path, orbits, names, summary = belt
    assert summary.orbits == 100_000 and summary.bad_lines == 0 and summary.header_lines == 2
    with gzip.open(path, "rt") as handle:
        assert "NOT real minor planets" in handle.readline()
    assert names[0].startswith("synthetic ") and not orbits["number"].any()


def test_the_same_seed_gives_the_same_bytes(tmp_path):
    a = write_synthetic_mpcorb(tmp_path / "a.dat.gz", 3_000, seed=4).read_bytes()
    assert a == write_synthetic_mpcorb(tmp_path / "b.dat.gz", 3_000, seed=4).read_bytes()
    assert a != write_synthetic_mpcorb(tmp_path / "c.dat.gz", 3_000, seed=5).read_bytes()


def test_the_kirkwood_gaps_are_empty(belt):
    """Within each gap's half width no main-belt orbit (near-Earth objects, perihelia inside 1.3 au, cross them); beside
    it (0.02-0.06 au out) the belt is full."""
    _, orbits, _, _ = belt
    a = orbits["a_au"][orbits["a_au"] * (1 - orbits["e"]) > 1.3]
    for (p, q), width in KIRKWOOD.items():
        centre = resonance_a(p, q)
        assert not np.any(np.abs(a - centre) < width), (p, q)
        beside = np.sum((np.abs(a - centre) > width + 0.02) & (np.abs(a - centre) < width + 0.06))
        assert beside > 500 if (p, q) != (2, 1) else beside > 50, (p, q, beside)
    assert abs(resonance_a(3, 1) - 2.50) < 0.01 and abs(resonance_a(2, 1) - 3.28) < 0.01


def test_the_trojans_lead_and_trail_jupiter(belt):
    """Seen from the Sun at the epoch, the orbits near 5.2 au gather 60 degrees ahead of and behind DE421's Jupiter."""
    _, orbits, _, _ = belt
    jd = orbits["epoch_jd"][0]
    trojans = orbits[np.abs(orbits["a_au"] - 5.2) < 0.2]
    places = mp.heliocentric_au(trojans, jd)
    jupiter = solar.heliocentric_au(2000.0 + (jd - 2451545.0) / 365.25)["jupiter"]
    offset = (ecliptic_longitude(places) - ecliptic_longitude(jupiter[None])[0] + 180) % 360 - 180
    assert 2_000 < len(trojans) < 2_600
    assert np.median(offset[offset > 0]) == pytest.approx(60, abs=6)
    assert np.median(offset[offset < 0]) == pytest.approx(-60, abs=6)
    assert np.mean(np.abs(np.abs(offset) - 60) < 30) > 0.9


def ecliptic_longitude(v: np.ndarray) -> np.ndarray:
    """J2000 ecliptic longitude (degrees) of ICRS vectors ``[N, 3]``."""
    c, s = np.cos(mp.OBLIQUITY_J2000), np.sin(mp.OBLIQUITY_J2000)
    return np.degrees(np.arctan2(c * v[:, 1] + s * v[:, 2], v[:, 0]))


def test_magnitudes_and_populations_are_as_mpcorbs(belt):
    """About 0.2 % brighter than H 10; the Hungarias inside 2 au, the Hildas near 3.97 au."""
    _, orbits, _, _ = belt
    h, a = orbits["h"], orbits["a_au"]
    assert 0.001 < np.mean(h < 10) < 0.004 and h.min() >= 5 and h.max() <= 19.5
    assert np.sum((a > 1.78) & (a < 2.0) & (orbits["incl_deg"] > 16)) >= 1_400
    assert 300 < np.sum(np.abs(a - resonance_a(3, 2)) < 0.1) < 500
