"""The client's minor planets (client/src/minor_planets.js): minor_planets.bin decoded, each orbit placed as skyfield's
Kepler orbit places it, the H-G law as helios/minor_planets.py has it."""

import io
import json

import numpy as np
import pytest

from helios import minor_planets as mp
from helios.mpcorb import read_mpcorb
from helios.synthetic_belt import write_synthetic_mpcorb
from tests.client.node import run_script
from tests.test_minor_planets import DATES_JD, GM_GAUSS_KM3_S2, LARGEST, arcsec
from tests.test_mpcorb import data_lines

mpc = pytest.importorskip("skyfield.data.mpc", reason="skyfield is not installed (pip install -e .)")


def client(cases: dict) -> dict:
    [out] = run_script("minor_planets_cases.mjs", stdin=json.dumps(cases))
    return out


def test_the_clients_places_are_skyfields_kepler_orbits(tmp_path):
    """229 orbits (the 29 real ones, 200 synthetic) from the pack's minor_planets.bin, at 5 dates 2000-2050: the
    client's float64 places within 1" of skyfield's mpcorb_orbit on the lines the file was made from (its float32
    elements allow 0.2")."""
    import pandas as pd

    from helios import solar

    belt = write_synthetic_mpcorb(tmp_path / "belt.dat", 200, seed=11)
    parts = [read_mpcorb(path) for path in (LARGEST, belt)]
    orbits = np.concatenate([p[0] for p in parts])
    frame = pd.concat([mpc.load_mpcorb_dataframe(io.BytesIO(data_lines(path))) for path in (LARGEST, belt)], ignore_index=True)
    directory = mp.write_minor_planets(tmp_path / "minor_planets.bin", orbits, [n for p in parts for n in p[1]], {})
    order = np.lexsort((orbits["number"], orbits["h"]))
    out = client({"file": str(tmp_path / "minor_planets.bin"), "days": [jd - directory["epoch_jd"] for jd in DATES_JD]})
    assert out["numbers"] == [int(n) for n in orbits["number"][order]]
    eph, ts = solar.ephemeris()
    worst = 0.0
    for k, jd in enumerate(DATES_JD):
        t = ts.tt_jd(jd)
        theirs = np.array([mpc.mpcorb_orbit(frame.iloc[i], ts, GM_GAUSS_KM3_S2).at(t).position.au for i in order])
        earth = eph["earth"].at(t).position.au - eph["sun"].at(t).position.au
        ours = np.array(out["places"][k])
        worst = max(worst, arcsec(ours, theirs).max(), arcsec(ours - earth, theirs - earth).max())
        rebased = np.radians(mp.mean_anomaly_deg(orbits[order], jd))
        assert np.abs(np.angle(np.exp(1j * (np.array(out["rebased"][k]) - rebased)))).max() < 1e-6
    assert worst < 1.0, worst


def test_the_clients_hg_law_is_pythons():
    rng = np.random.default_rng(7)
    cases = [[float(rng.uniform(3, 20)), float(rng.uniform(0, 0.5)), rng.normal(0, 2, 3).tolist(), rng.normal(0, 2, 3).tolist()]
             for _ in range(300)]
    out = client({"hg": cases})["hg"]
    expected = [float(mp.hg_magnitude(h, g, np.array(s), np.array(o))) for h, g, s, o in cases]
    np.testing.assert_allclose(out, expected, atol=1e-9)
