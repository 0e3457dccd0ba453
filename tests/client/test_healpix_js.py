"""The client's HEALPix (client/src/healpix.js), which finds where a Gaia source_id points, against astropy-healpix."""

import json

import numpy as np
import pytest

from tests.client.node import run_script

astropy_healpix = pytest.importorskip("astropy_healpix", reason="astropy-healpix is not installed (pip install -e '.[test]')")


def test_pixel_centres_and_gaia_directions_match_astropy_healpix():
    rng = np.random.default_rng(5)
    cases = [(level, int(pixel)) for level in (0, 1, 3, 12) for pixel in
             np.unique(np.r_[0, 12 * 4**level - 1, rng.integers(0, 12 * 4**level, 400)])]
    ids = [int(p) << 35 | int(rng.integers(0, 1 << 35)) for p in rng.integers(0, 12 * 4**12, 300)]
    [out] = run_script("healpix_centres.mjs", stdin=json.dumps({"pixels": cases, "sourceIds": [str(i) for i in ids]}))
    for (level, pixel), (theta, phi) in zip(cases, out["centres"]):
        lon, lat = astropy_healpix.healpix_to_lonlat(pixel, 2**level, order="nested")
        assert theta == pytest.approx(np.pi / 2 - lat.to_value("rad"), abs=1e-12), (level, pixel)
        assert np.cos(phi - lon.to_value("rad")) == pytest.approx(1, abs=1e-12), (level, pixel)
    for source_id, direction in zip(ids, out["directions"]):
        lon, lat = astropy_healpix.healpix_to_lonlat(source_id >> 35, 4096, order="nested")
        lon, lat = lon.to_value("rad"), lat.to_value("rad")
        assert direction == pytest.approx([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], abs=1e-12)


def test_every_point_of_a_pixel_lies_within_the_radius_the_client_searches():
    """pixelRadius bounds the distance from a pixel's centre to its corners (astropy-healpix's boundaries)."""
    [out] = run_script("healpix_centres.mjs", stdin=json.dumps({"pixels": [], "sourceIds": []}))
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 12 * 4**12, 2000)
    lon, lat = (a.to_value("rad") for a in astropy_healpix.healpix_to_lonlat(pixels, 4096, order="nested"))
    blon, blat = (a.to_value("rad") for a in astropy_healpix.boundaries_lonlat(pixels, 4, 4096, order="nested"))
    centre = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], -1)[:, None, :]
    edge = np.stack([np.cos(blat) * np.cos(blon), np.cos(blat) * np.sin(blon), np.sin(blat)], -1)
    widest = np.arccos(np.clip(np.sum(centre * edge, -1), -1, 1)).max()
    assert out == {"centres": [], "directions": []}
    assert widest < 1.5 * np.sqrt(4 * np.pi / (12 * 4**12))
