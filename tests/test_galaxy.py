import numpy as np
import pyarrow as pa

from helios import catalog, galaxy
from helios.astro import ICRS_TO_GALACTIC


def test_the_same_seed_gives_the_same_stars():
    a = pa.Table.from_batches(list(catalog.synthetic_batches(3000, seed=4, batch_rows=1000, model="milky-way")))
    b = pa.Table.from_batches(list(catalog.synthetic_batches(3000, seed=4, batch_rows=1000, model="milky-way")))
    c = pa.Table.from_batches(list(catalog.synthetic_batches(3000, seed=5, batch_rows=1000, model="milky-way")))
    assert a.equals(b) and not a.equals(c)
    assert a.column_names == ["source_id", "ra", "dec", "dist", "phot_g_mean_mag", "bp_rp"]


def test_components_have_their_shares_and_scales():
    rng = np.random.default_rng(0)
    xyz, component = galaxy.galactocentric_positions(rng, 400_000)
    shares = np.bincount(component, minlength=3) / len(component)
    assert np.allclose(shares, [0.72, 0.10, 0.18], atol=0.005)
    for index, (_, _, length, height) in enumerate(galaxy.DISCS):
        disc = xyz[component == index]
        radius = np.hypot(disc[:, 0], disc[:, 1])
        assert radius.max() <= galaxy.R_MAX_KPC
        assert np.isclose(np.mean(np.abs(disc[:, 2])), height, rtol=0.02)  # Laplace: mean |z| is the scale height
        assert np.isclose(np.median(radius), 1.678 * length, rtol=0.03)  # Gamma(2) median, barely changed by the cut
    bulge = np.linalg.norm(xyz[component == 2], axis=1)
    assert bulge.max() <= galaxy.BULGE_CUT_KPC
    a, cut = galaxy.BULGE_SCALE_KPC, galaxy.BULGE_CUT_KPC  # Hernquist median within the cut: M(r) = M(cut) / 2
    root = np.sqrt(0.5) * cut / (cut + a)
    assert np.isclose(np.median(bulge), a * root / (1 - root), rtol=0.02)


def test_luminosity_function_is_dominated_by_faint_dwarfs_with_few_giants_and_hot_stars():
    rng = np.random.default_rng(1)
    component = np.zeros(200_000, dtype=int)
    abs_mag, bp_rp = galaxy.absolute_mag_and_colour(rng, component)
    assert 9.0 < np.median(abs_mag) < 11.0
    assert 0.04 < np.mean(abs_mag < 2.5) < 0.07  # the giants
    young = bp_rp < 0.0
    assert 0.001 < young.mean() < 0.004 and np.median(abs_mag[young]) < -1.0
    _, bp_rp_bulge = galaxy.absolute_mag_and_colour(rng, np.full(50_000, 2))
    assert (bp_rp_bulge < -0.05).mean() < 0.0005  # no young stars outside the thin disc


def test_the_sun_sits_8_2_kpc_from_the_centre_in_the_plane():
    table = pa.Table.from_batches(list(catalog.synthetic_batches(100_000, seed=2, model="milky-way")))
    ra, dec = np.radians(table.column("ra").to_numpy()), np.radians(table.column("dec").to_numpy())
    dist = table.column("dist").to_numpy()
    icrs = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1) * dist[:, None]
    galactic = icrs @ ICRS_TO_GALACTIC.T
    centre = np.median(galactic[np.linalg.norm(galactic - [8200.0, 0.0, -20.8], axis=1) < 1000.0], axis=0)
    assert np.allclose(centre, [8200.0, 0.0, -20.8], atol=60.0)
    g = table.column("phot_g_mean_mag").to_numpy()
    assert np.isfinite(g).all() and np.median(g) > 20  # most stars of the Galaxy are faint from here
