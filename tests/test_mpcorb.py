"""Reading MPCORB (helios/mpcorb.py): every field as skyfield's reader reads it; bad lines counted, never fatal."""

import gzip
import io
from importlib.resources import files

import numpy as np
import pytest

from helios.mpcorb import MpcorbError, packed_epoch_jd, packed_number, proper_name, read_mpcorb
from helios.synthetic_belt import write_synthetic_mpcorb

mpc = pytest.importorskip("skyfield.data.mpc", reason="skyfield is not installed (pip install -e .)")
LARGEST = files("helios") / "data" / "mpcorb_largest.dat"


def data_lines(path) -> bytes:
    """The orbit lines of an MPCORB file (skyfield's reader takes no header)."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    dashes = next(k for k, line in enumerate(lines) if line.startswith(b"-----"))
    return b"\n".join(line for line in lines[dashes + 1:] if line.strip()) + b"\n"


@pytest.mark.parametrize("source", ["largest", "synthetic"])
def test_every_field_is_skyfields(source, tmp_path):
    """The embedded largest asteroids and 400 synthetic orbits: designation, H, G, epoch, the six elements, n, a and the
    readable designation equal skyfield's load_mpcorb_dataframe (and its mpcorb_orbit's epoch)."""
    from skyfield.api import load

    path = LARGEST if source == "largest" else write_synthetic_mpcorb(tmp_path / "belt.dat.gz", 400, seed=3)
    orbits, names, summary = read_mpcorb(path)
    frame = mpc.load_mpcorb_dataframe(io.BytesIO(data_lines(path)))
    assert len(orbits) == len(frame) == summary.orbits and summary.bad_lines == 0
    ts = load.timescale(builtin=True)
    columns = {"mean_anomaly_deg": "mean_anomaly_degrees", "peri_deg": "argument_of_perihelion_degrees",
               "node_deg": "longitude_of_ascending_node_degrees", "incl_deg": "inclination_degrees", "e": "eccentricity",
               "motion_deg_day": "mean_daily_motion_degrees", "a_au": "semimajor_axis_au", "h": "magnitude_H", "g": "magnitude_G"}
    for mine, theirs in columns.items():
        np.testing.assert_allclose(orbits[mine], frame[theirs].to_numpy(np.float64), rtol=0, atol=1e-6, err_msg=mine)
    assert names == list(frame["designation"].str.strip())
    assert [packed_number(d) for d in frame["designation_packed"]] == list(orbits["number"])
    for k in range(0, len(frame), 37):
        orbit = mpc.mpcorb_orbit(frame.iloc[k], ts, 1.32712440018e11)
        assert orbits["epoch_jd"][k] == pytest.approx(orbit.epoch.tt, abs=1e-9)


def test_the_largest_asteroids_and_the_dwarf_planets():
    """29 real orbits at one epoch (K25BL, 2025 November 21): Ceres, Vesta, Eros and Pluto by number and name."""
    orbits, names, summary = read_mpcorb(LARGEST)
    assert summary.orbits == 29 and summary.header_lines > 0
    assert set(orbits["epoch_jd"]) == {2461000.5}
    by_number = dict(zip(orbits["number"], names))
    assert by_number[1] == "(1) Ceres" and by_number[4] == "(4) Vesta" and by_number[433] == "(433) Eros"
    assert by_number[134340] == "(134340) Pluto" and by_number[136199] == "(136199) Eris"
    assert proper_name(by_number[433]) == "Eros" and proper_name("(12345) 1993 FX") is None
    ceres = orbits[orbits["number"] == 1][0]
    assert ceres["a_au"] == pytest.approx(2.7656157) and ceres["h"] == pytest.approx(3.35)


def test_packed_epochs_and_numbers():
    assert packed_epoch_jd("K25BL") == 2461000.5  # 2025 November 21
    assert packed_epoch_jd("J9611") == 2450083.5  # 1996 January 1 (the MPC's example)
    assert packed_epoch_jd("K205V") == 2459000.5  # 2020 May 31
    assert [packed_number(p) for p in ("00001", "00433", "A0345", "a0017", "~0000", "~000z", "K14A00A")] == \
        [1, 433, 100345, 360017, 620000, 620061, 0]


def test_bad_lines_are_counted_with_their_numbers(tmp_path):
    """Blank lines and the header are skipped; a short line, a bad epoch, an unreadable M and an open orbit are each
    counted by their reason with their line numbers; the good lines are kept."""
    good = data_lines(LARGEST).decode().splitlines()[:3]
    bad_epoch = good[0][:20] + "X25BL" + good[0][25:]
    bad_m = good[0][:26] + "  12.3x45" + good[0][35:]
    hyperbolic = good[0][:70] + "1.2000000" + good[0][79:]
    not_a_number = good[0][:37] + "      nan" + good[0][46:]
    no_h = good[1][:8] + "     " + good[1][13:]
    lines = ["MINOR PLANET CENTER ORBIT DATABASE (MPCORB)", "-" * 160, good[0], "", good[1], "too short", bad_epoch, bad_m,
             hyperbolic, good[2], not_a_number, no_h]
    path = tmp_path / "MPCORB.DAT"
    path.write_text("\n".join(lines) + "\n", encoding="latin-1")
    orbits, names, summary = read_mpcorb(path)
    assert len(orbits) == 4 and summary.header_lines == 2 and summary.blank_lines == 1
    assert summary.bad_counts == {"shorter than 103 characters": 1, "unreadable epoch (columns 21-25)": 1,
                                  "unreadable M (columns 27-35)": 1, "not an ellipse (e outside [0, 1) or a <= 0)": 1,
                                  "unreadable peri (columns 38-46)": 1}
    assert summary.no_h == 1 and np.isnan(orbits["h"][-1]) and orbits["g"][-1] == pytest.approx(0.15)
    assert summary.bad["unreadable epoch (columns 21-25)"] == [7]
    message = summary.message()
    assert str(path) in message and "5 bad lines" in message and "line 6" in message and "4 orbits from 12 lines" in message


def test_a_file_without_orbits_is_an_error_naming_it(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("name,ra,dec\nSirius,101.3,-16.7\n")
    with pytest.raises(MpcorbError, match=r"notes\.txt: 0 orbits from 2 lines.*not a single orbit"):
        read_mpcorb(path)
    with pytest.raises(MpcorbError, match="no such MPCORB file"):
        read_mpcorb(tmp_path / "missing.dat")
