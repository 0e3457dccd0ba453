import numpy as np
import pandas as pd
import pytest

from helios import colour
from tests.conftest import DATA


def test_mucciarelli_dwarf_reference_value():
    # Mucciarelli+2021: C = 0.82 at [Fe/H] = 0 -> 5684 K.
    assert colour.teff_from_bp_rp(np.array([0.82]))[0] == pytest.approx(5684, abs=1)


def test_jordi_relation():
    c = 0.82
    expected = 10 ** (3.999 - 0.654 * c + 0.709 * c**2 - 0.316 * c**3)
    assert colour.teff_from_bp_rp(np.array([c]), "jordi2010")[0] == pytest.approx(expected)


@pytest.mark.parametrize("relation", colour.RELATIONS)
def test_temperature_falls_with_colour_and_stays_in_range(relation):
    c = np.linspace(-2, 10, 500)
    teff = colour.teff_from_bp_rp(c, relation)
    assert (np.diff(teff) <= 0).all()
    assert teff.min() >= colour.TEFF_MIN_K and teff.max() <= colour.TEFF_MAX_K


def test_unknown_relation():
    with pytest.raises(ValueError, match="unknown colour relation"):
        colour.teff_from_bp_rp(np.array([1.0]), "nope")


def test_blackbody_matches_reference_table():
    ref = pd.read_csv(DATA / "blackbody_srgb_cie1931_2deg.csv")
    linear = colour.blackbody_linear_srgb(ref["T_K"].to_numpy())
    encoded = colour.srgb_encode(linear)
    # The table's r,g,b are gamma-encoded sRGB (see tests/data/README.md).
    assert np.abs(encoded - ref[["r", "g", "b"]].to_numpy()).max() < 2e-3
    assert np.abs(np.round(encoded * 255) - ref[["R8", "G8", "B8"]].to_numpy()).max() <= 1


def test_blackbody_brightest_channel_is_one():
    rgb = colour.blackbody_linear_srgb(np.array([1500.0, 5772.0, 30000.0]))
    assert np.allclose(rgb.max(axis=1), 1.0)
    assert rgb[0, 0] == 1.0 and rgb[2, 2] == 1.0  # cool is red, hot is blue


def test_shipped_table_matches_direct_integration():
    rng = np.random.default_rng(0)
    teff = np.concatenate([rng.uniform(1000, 40000, 200), [1000.0, 5772.0, 40000.0]])
    assert np.abs(colour.blackbody_linear_srgb(teff) - colour.blackbody_linear_srgb_exact(teff)).max() < 2e-4
