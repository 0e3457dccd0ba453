"""Star motion: space velocities and positions at another epoch (``docs/motion.md``).

The model is ERFA's rigorous space motion (straight-line motion at constant velocity in the
barycentric frame, with the light-time correction), through pyerfa: ``pmsafe`` moves a star's
astrometry from its reference epoch to another, ``starpv`` gives its space velocity.  Epochs are
Julian years (J2016.0 = 2016.0).  Proper motions are the catalogues' ``pmra`` = μα* = μα cos δ and
``pmdec``, in mas/yr; radial velocities in km/s; distances in pc.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields

import erfa
import numpy as np

#: Milliarcseconds per radian.
MAS_PER_RAD = 180.0 / np.pi * 3.6e6
#: Days per kyr (Julian), and au per pc: starpv's au/day in pc/kyr.
AU_PER_DAY_IN_PC_PER_KYR = 365250.0 / erfa.DR2AS
#: Stars per piece when the work is spread over the CPU cores (ERFA's functions release the GIL).
CHUNK_STARS = 1 << 19
#: Gaia DR3's reference epoch and Hipparcos's (and Hipparcos-2's).
GAIA_DR3_EPOCH = 2016.0
HIPPARCOS_EPOCH = 1991.25


@dataclass(frozen=True)
class Astrometry:
    """Stars' astrometry at ``epoch`` (Julian year, per star or one for all)."""

    ra_deg: np.ndarray
    dec_deg: np.ndarray
    distance_pc: np.ndarray
    pmra_mas_yr: np.ndarray  # μα* = μα cos δ
    pmdec_mas_yr: np.ndarray
    radial_velocity_km_s: np.ndarray
    epoch: np.ndarray | float

    def __len__(self) -> int:
        return len(self.ra_deg)

    def __getitem__(self, index: slice | np.ndarray) -> Astrometry:
        epoch = self.epoch if np.ndim(self.epoch) == 0 else np.asarray(self.epoch)[index]
        return Astrometry(*(np.asarray(getattr(self, f.name))[index] for f in fields(self)[:-1]), epoch)


def _in_pieces(function, stars: Astrometry, *args):
    """``function(piece, *args)`` over pieces of the stars, on every CPU core; the results concatenated."""
    pieces = [stars[i:i + CHUNK_STARS] for i in range(0, max(len(stars), 1), CHUNK_STARS)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)  # "dubious year": about UTC, not star motion
        if len(pieces) == 1:
            return [function(pieces[0], *args)]
        with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            return list(pool.map(lambda piece: function(piece, *args), pieces))


def _erfa_inputs(stars: Astrometry) -> tuple[np.ndarray, ...]:
    ra, dec = np.radians(stars.ra_deg), np.radians(stars.dec_deg)
    pmr = stars.pmra_mas_yr / MAS_PER_RAD / np.cos(dec)  # ERFA wants dα/dt, not μα*
    pmd = stars.pmdec_mas_yr / MAS_PER_RAD
    parallax_arcsec = 1.0 / stars.distance_pc
    return ra, dec, pmr, pmd, parallax_arcsec, np.asarray(stars.radial_velocity_km_s, np.float64)


def propagate(stars: Astrometry, epoch: float) -> Astrometry:
    """The stars' astrometry at ``epoch`` (ERFA ``pmsafe``)."""
    moved = _in_pieces(_propagate, stars, float(epoch))
    return Astrometry(*(np.concatenate([getattr(m, f.name) for m in moved]) for f in fields(Astrometry)[:-1]), float(epoch))


def _propagate(stars: Astrometry, epoch: float) -> Astrometry:
    ra, dec, pmr, pmd, px, rv = _erfa_inputs(stars)
    from_a, from_b = erfa.epj2jd(np.asarray(stars.epoch, np.float64))
    to_a, to_b = erfa.epj2jd(np.float64(epoch))
    ra2, dec2, pmr2, pmd2, px2, rv2 = erfa.pmsafe(ra, dec, pmr, pmd, px, rv, from_a, from_b, to_a, to_b)
    return Astrometry(np.degrees(ra2) % 360.0, np.degrees(dec2), 1.0 / px2, pmr2 * np.cos(dec2) * MAS_PER_RAD,
                      pmd2 * MAS_PER_RAD, rv2, float(epoch))


def space_velocity(stars: Astrometry) -> np.ndarray:
    """``[N, 3]`` Cartesian space velocities in pc/kyr, ICRS axes (ERFA ``starpv``)."""
    return np.concatenate(_in_pieces(_space_velocity, stars)).reshape(-1, 3)


def _space_velocity(stars: Astrometry) -> np.ndarray:
    ra, dec, pmr, pmd, px, rv = _erfa_inputs(stars)
    return erfa.starpv(ra, dec, pmr, pmd, px, rv)["v"] * AU_PER_DAY_IN_PC_PER_KYR

