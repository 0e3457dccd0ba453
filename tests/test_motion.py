"""Star motion against astropy (an independent implementation over ERFA) and known stars."""

import gzip
import warnings

import numpy as np
import pandas as pd
import pytest

from helios import motion
from tests.conftest import REPO

astropy = pytest.importorskip("astropy")
import astropy.units as u  # noqa: E402
from astropy.coordinates import SkyCoord  # noqa: E402
from astropy.time import Time  # noqa: E402
from erfa import ErfaWarning  # noqa: E402

BARNARD = REPO / "tests" / "data" / "barnards_star_hip2.csv"


def sample(radial_velocity_seed=None, min_parallax_over_error=0.0) -> motion.Astrometry:
    """The embedded sample at J1991.25 (no radial velocities: 0 km/s, or seeded ones)."""
    with gzip.open(REPO / "data" / "hipparcos2_hp7.csv.gz") as handle:
        rows = pd.read_csv(handle)
    rows = rows[(rows.parallax > 0) & (rows.parallax >= min_parallax_over_error * rows.parallax_error)]
    rv = np.zeros(len(rows)) if radial_velocity_seed is None else np.random.default_rng(radial_velocity_seed).normal(0, 40, len(rows))
    return motion.Astrometry(rows.ra.to_numpy(), rows.dec.to_numpy(), 1000.0 / rows.parallax.to_numpy(), rows.pmra.to_numpy(),
                             rows.pmdec.to_numpy(), rv, motion.HIPPARCOS_EPOCH)


def astropy_at(stars: motion.Astrometry, epoch: float) -> SkyCoord:
    coords = SkyCoord(ra=stars.ra_deg * u.deg, dec=stars.dec_deg * u.deg, distance=stars.distance_pc * u.pc,
                      pm_ra_cosdec=stars.pmra_mas_yr * u.mas / u.yr, pm_dec=stars.pmdec_mas_yr * u.mas / u.yr,
                      radial_velocity=stars.radial_velocity_km_s * u.km / u.s, obstime=Time(stars.epoch, format="jyear", scale="tdb"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)  # "dubious year": far epochs have no UTC
        return coords.apply_space_motion(new_obstime=Time(epoch, format="jyear", scale="tdb"))


@pytest.mark.parametrize("radial_velocity_seed", [None, 7])
@pytest.mark.parametrize("kyr", [-100, -10, -1, 1, 10, 100])
def test_every_sample_star_moves_as_astropy_moves_it(kyr, radial_velocity_seed):
    stars = sample(radial_velocity_seed)
    epoch = motion.HIPPARCOS_EPOCH + 1000.0 * kyr
    ours, theirs = motion.propagate(stars, epoch), astropy_at(stars, epoch)
    separation_mas = SkyCoord(ours.ra_deg * u.deg, ours.dec_deg * u.deg).separation(theirs).to(u.mas).value
    assert separation_mas.max() < 1.0
    assert np.max(np.abs(ours.distance_pc / theirs.distance.pc - 1.0)) < 1e-6
    moved = SkyCoord(ours.ra_deg * u.deg, ours.dec_deg * u.deg).separation(SkyCoord(stars.ra_deg * u.deg, stars.dec_deg * u.deg))
    assert np.median(moved.to(u.arcsec).value) > 10 * abs(kyr)  # the stars did move (a few arcsec per kyr and more)


def barnard() -> motion.Astrometry:
    row = pd.read_csv(BARNARD).iloc[0]
    return motion.Astrometry(np.array([row.ra]), np.array([row.dec]), np.array([1000.0 / row.parallax]), np.array([row.pmra]),
                             np.array([row.pmdec]), np.array([row.radial_velocity]), motion.HIPPARCOS_EPOCH)


def closest_approach(distance_at) -> tuple[float, float]:
    """(epoch, distance) of the minimum of ``distance_at(epoch)`` between 1991 and 20000 CE, to 0.1 yr."""
    epochs = np.arange(1991.25, 20000.0, 10.0)
    distances = np.array([distance_at(e) for e in epochs])
    best = epochs[distances.argmin()]
    fine = np.arange(best - 10.0, best + 10.0, 0.1)
    distances = np.array([distance_at(e) for e in fine])
    return float(fine[distances.argmin()]), float(distances.min())


def test_barnards_star_comes_closest_around_11800_ce_at_1_15_pc():
    star = barnard()
    ours = closest_approach(lambda e: motion.propagate(star, e).distance_pc[0])
    theirs = closest_approach(lambda e: astropy_at(star, e).distance.pc[0])
    assert ours[0] == pytest.approx(theirs[0], abs=0.2) and ours[1] == pytest.approx(theirs[1], rel=1e-6)
    assert 11_700 <= ours[0] <= 11_900 and ours[1] == pytest.approx(1.15, abs=0.01)  # the literature: ~11,800 CE, 1.15 pc


def test_space_velocity_is_the_radial_and_tangential_velocity():
    """On the stars with good parallaxes (a 0.1 mas parallax makes a proper motion a superluminal speed, which ERFA caps)."""
    stars = sample(radial_velocity_seed=3, min_parallax_over_error=5.0)
    velocity = motion.space_velocity(stars)
    tangential = 4.740470446 * np.hypot(stars.pmra_mas_yr, stars.pmdec_mas_yr) / 1000.0 * stars.distance_pc  # v_t = 4.74047 μ d
    km_s_per_pc_kyr = 977.792  # 1 pc/kyr in km/s
    speed = np.linalg.norm(velocity, axis=1) * km_s_per_pc_kyr
    assert np.allclose(speed, np.hypot(tangential, stars.radial_velocity_km_s), rtol=1e-3)
    direction = np.stack([np.cos(np.radians(stars.dec_deg)) * np.cos(np.radians(stars.ra_deg)),
                          np.cos(np.radians(stars.dec_deg)) * np.sin(np.radians(stars.ra_deg)), np.sin(np.radians(stars.dec_deg))], 1)
    radial = np.sum(velocity * direction, axis=1) * km_s_per_pc_kyr  # ERFA's light-time terms: parts in 10^3 of the speed
    assert np.all(np.abs(radial - stars.radial_velocity_km_s) <= 2e-3 * speed)


def test_straight_line_positions_are_the_propagated_ones():
    """x + v t (what `helios render --epoch` draws) against pmsafe's astrometry, 10 kyr on: within 1e-3 of the motion
    (ERFA's light-time terms, of order v / c)."""
    from helios.astro import icrs_to_cartesian

    stars = sample(radial_velocity_seed=5, min_parallax_over_error=5.0)
    later = motion.propagate(stars, stars.epoch + 10_000.0)
    start = icrs_to_cartesian(stars.ra_deg, stars.dec_deg, stars.distance_pc)
    straight = start + motion.space_velocity(stars) * 10.0
    exact = icrs_to_cartesian(later.ra_deg, later.dec_deg, later.distance_pc)
    moved = np.linalg.norm(exact - start, axis=1)
    assert np.all(np.linalg.norm(straight - exact, axis=1) <= 1e-3 * moved + 1e-9)
