"""DE421's planets for the client (helios/planet_table.py, client/src/planet_table.js): within their bounds of DE421."""

import json

import numpy as np
import pytest

from helios import planet_table
from tests.client.node import run_script

pytest.importorskip("skyfield", reason="skyfield is not installed (pip install -e .)")
#: The most each planet's interpolated place may be from DE421's, au (docs/solar-system.md).
BOUND_AU = {"mercury": 2e-7, "venus": 4e-7, "earth": 2e-7, "mars": 3e-7, "jupiter": 1.5e-7, "saturn": 2.5e-7, "uranus": 2e-7,
            "neptune": 2e-7, "moon": 5e-8}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("table") / "planets_de421.bin"
    directory = planet_table.write_planet_table(path)
    return path, directory


def test_interpolated_places_are_de421s_within_their_bounds(table):
    """400 random dates a planet across the span, Python and the client: within the bound of DE421's place; the
    client's equals Python's to 1e-12 au."""
    path, directory = table
    again, samples = planet_table.read_planet_table(path)
    assert again["planets"] == directory["planets"] and directory["first_jd"] < 2415021 and directory["last_jd"] > 2469808  # 1900-2050
    rng = np.random.default_rng(4)
    cases = {}
    for name, bound in BOUND_AU.items():
        jd = rng.uniform(directory["first_jd"], directory["last_jd"], 400)
        step = next(p["step_days"] for p in directory["planets"] if p["name"] == name)
        ours = planet_table.hermite(samples[name], directory["first_jd"], step, jd)
        error = np.linalg.norm(ours - planet_table.sample(name, jd)[:, :3], axis=1).max()
        assert error < bound, (name, error)
        cases[name] = (jd.tolist(), ours)
    [out] = run_script("planet_table_cases.mjs", str(path), stdin=json.dumps({name: jd for name, (jd, _) in cases.items()}))
    for name, (_, ours) in cases.items():
        np.testing.assert_allclose(np.array(out[name]), ours, rtol=0, atol=1e-12, err_msg=name)


def test_a_coarser_table_fails_the_bounds(table):
    """The check can fail: Mercury sampled every 2 days instead of 1 is off by more than its bound."""
    _, directory = table
    jd = np.arange(directory["first_jd"], directory["first_jd"] + 4000, 2.0)
    coarse = planet_table.sample("mercury", jd)
    probe = np.random.default_rng(1).uniform(jd[0], jd[-1], 400)
    error = np.linalg.norm(planet_table.hermite(coarse, jd[0], 2.0, probe) - planet_table.sample("mercury", probe)[:, :3], axis=1).max()
    assert error > BOUND_AU["mercury"]
