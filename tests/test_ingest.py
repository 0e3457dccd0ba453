import json

import numpy as np
import pyarrow as pa
import pytest

from helios import astro, colour
from helios.errors import CatalogError, HeliosError
from helios.ingest import IngestOptions, ingest_file, ingest_synthetic
from tests.conftest import archive_csv, bulk_csv

COLUMNS = ["source_id", "ra", "dec", "parallax", "parallax_error", "phot_g_mean_mag", "bp_rp"]


def read_part(path):
    """Parts are Arrow IPC files: read with pyarrow's own reader."""
    return pa.ipc.open_file(path).read_all()


def run(tmp_path, columns, rows, **options):
    path = archive_csv(tmp_path / "in.csv", columns, rows)
    summary = ingest_file(path, tmp_path / "part.arrow", tmp_path / "part.json", IngestOptions(**options))
    return read_part(tmp_path / "part.arrow"), summary


def test_every_drop_reason_is_counted_once(tmp_path):
    rows = [
        [1, 10, 10, 10, 0.1, 5, 0.8],  # kept (parallax)
        [2, None, 10, 10, 0.1, 5, 0.8],  # missing_position
        [3, 400, 10, 10, 0.1, 5, 0.8],  # invalid_position
        [4, 10, -91, 10, 0.1, 5, 0.8],  # invalid_position
        [5, "inf", 10, 10, 0.1, 5, 0.8],  # invalid_position
        [6, 10, 10, 10, 0.1, None, 0.8],  # missing_magnitude
        [7, 10, 10, 10, 0.1, "-inf", 0.8],  # invalid_magnitude
        [8, 10, 10, 10, 0.1, 14, 0.8],  # fainter_than_max_mag
        [9, 10, 10, None, 0.1, 5, 0.8],  # missing_parallax
        [10, 10, 10, "inf", 0.1, 5, 0.8],  # invalid_parallax
        [11, 10, 10, -1, None, 5, 0.8],  # missing_parallax_error (low quality, no error)
        [12, 10, 10, 0.5, 0.3, 5, 0.8],  # kept (edsd)
    ]
    table, summary = run(tmp_path, COLUMNS, rows, max_mag=12, parallax_zero_point_mas=0)
    assert table.column("source_id").to_pylist() == [1, 12]
    assert summary["dropped"] == {
        "fainter_than_max_mag": 1,
        "invalid_magnitude": 1,
        "invalid_parallax": 1,
        "invalid_position": 3,
        "missing_magnitude": 1,
        "missing_parallax": 1,
        "missing_parallax_error": 1,
        "missing_position": 1,
    }
    assert summary["rows_read"] == 12 and summary["rows_kept"] == 2
    assert summary["rows_read"] == summary["rows_kept"] + sum(summary["dropped"].values())
    assert summary["example_lines"]["invalid_position"] == [4, 5, 6]  # header is line 1
    assert summary["distance_method"] == {"edsd": 1, "parallax": 1}
    assert table.column("distance_method").to_pylist() == ["parallax", "edsd"]
    assert json.loads((tmp_path / "part.json").read_text()) == summary


def test_conversions(tmp_path):
    table, _ = run(tmp_path, COLUMNS, [[1, 101.28715533, -16.71611586, 379.21, 1.58, -1.09, 0.0]], parallax_zero_point_mas=0)
    row = table.to_pylist()[0]
    assert row["distance_pc"] == pytest.approx(2.637, abs=0.001)
    xyz = astro.icrs_to_cartesian(np.array([row["ra"]]), np.array([row["dec"]]), np.array([row["distance_pc"]]))[0]
    assert [row["x_pc"], row["y_pc"], row["z_pc"]] == pytest.approx(list(xyz))
    assert row["abs_mag_g"] == pytest.approx(-1.09 - 5 * np.log10(row["distance_pc"] / 10), abs=1e-5)
    assert row["teff_k"] == pytest.approx(colour.teff_from_bp_rp(np.array([0.0]))[0], rel=1e-6)
    assert [row["red"], row["green"], row["blue"]] == pytest.approx(list(colour.blackbody_linear_srgb(np.array([row["teff_k"]]))[0]), abs=1e-6)
    assert row["line"] == 2


def test_zero_point_default_is_gaia(tmp_path):
    table, _ = run(tmp_path, COLUMNS, [[1, 0, 0, 1.0, 0.01, 10, 1.0]])
    assert table.column("distance_pc")[0].as_py() == pytest.approx(1000 / 1.017)


def test_drop_policy(tmp_path):
    rows = [[1, 0, 0, 10, 0.1, 5, 1], [2, 0, 0, -0.5, 0.2, 5, 1], [3, 0, 0, 0.5, 0.2, 5, 1], [4, 0, 0, 0.5, None, 5, 1]]
    table, summary = run(tmp_path, COLUMNS, rows, parallax_policy="drop", parallax_zero_point_mas=0)
    assert table.column("source_id").to_pylist() == [1]
    assert summary["dropped"] == {"low_parallax_over_error": 1, "missing_parallax_error": 1, "nonpositive_parallax": 1}


def test_threshold_zero_trusts_positive_parallaxes(tmp_path):
    rows = [[1, 0, 0, 0.5, 0.4, 5, 1], [2, 0, 0, 0.5, None, 5, 1]]
    table, _ = run(tmp_path, COLUMNS, rows, min_parallax_over_error=0, parallax_zero_point_mas=0)
    assert table.column("distance_pc").to_pylist() == [2000.0, 2000.0]


def test_edsd_distance_for_negative_parallax(tmp_path):
    table, _ = run(tmp_path, COLUMNS, [[1, 0, 0, -0.1, 0.3, 15, 1]], parallax_zero_point_mas=0)
    assert table.column("distance_pc")[0].as_py() == pytest.approx(4008, abs=1)


def test_distance_column_when_no_parallax(tmp_path):
    rows = [[1, 5, 5, 12, 250.0], [2, 5, 5, 12, None], [3, 5, 5, 12, -3]]
    table, summary = run(tmp_path, ["source_id", "ra", "dec", "phot_g_mean_mag", "r_med_geo"], rows)
    assert table.column("distance_pc").to_pylist() == [250.0]
    assert summary["distance_source"] == "r_med_geo"
    assert summary["dropped"] == {"invalid_distance": 1, "missing_distance": 1}


def test_explicit_distance_column_must_exist(tmp_path):
    with pytest.raises(CatalogError, match="distance_source is 'dist' but the file has no such column"):
        run(tmp_path, COLUMNS, [[1, 0, 0, 1, 0.1, 5, 1]], distance_source="dist")


def test_no_distance_information(tmp_path):
    with pytest.raises(CatalogError, match="no distance information"):
        run(tmp_path, ["ra", "dec", "phot_g_mean_mag"], [[0, 0, 5]])


def test_colour_fallbacks(tmp_path):
    columns = COLUMNS + ["phot_bp_mean_mag", "phot_rp_mean_mag", "teff_gspphot"]
    rows = [
        [1, 0, 0, 10, 0.1, 5, 0.82, 9, 9, 3000],  # bp_rp wins
        [2, 0, 0, 10, 0.1, 5, None, 6.0, 5.18, 3000],  # BP - RP = 0.82
        [3, 0, 0, 10, 0.1, 5, None, None, 5.18, 3000],  # teff_gspphot
        [4, 0, 0, 10, 0.1, 5, None, None, None, None],  # neutral
    ]
    table, summary = run(tmp_path, columns, rows)
    teff = table.column("teff_k").to_pylist()
    assert teff[0] == pytest.approx(5684, abs=1) and teff[1] == pytest.approx(5684, abs=1)
    assert teff[2] == 3000 and teff[3] == colour.NEUTRAL_TEFF_K
    assert table.column("colour_method").to_pylist() == ["bp_rp", "bp_minus_rp", "teff_gspphot", "neutral"]
    assert summary["colour_method"] == {"bp_minus_rp": 1, "bp_rp": 1, "neutral": 1, "teff_gspphot": 1}


def test_file_limit_keeps_brightest_with_ties_by_line(tmp_path):
    mags = [9, 3, 7, 3, 1, 8, 3]
    rows = [[i + 1, 0, 0, 10, 0.1, m, 1] for i, m in enumerate(mags)]
    table, summary = run(tmp_path, COLUMNS, rows, limit=3)
    assert table.column("source_id").to_pylist() == [2, 4, 5]  # input order kept
    assert summary["dropped"] == {"not_among_brightest": 4}


def test_missing_source_id_column_is_allowed(tmp_path):
    table, _ = run(tmp_path, COLUMNS[1:], [[0, 0, 10, 0.1, 5, 1]])
    assert table.column("source_id").null_count == 1


def test_failed_ingest_leaves_no_output(tmp_path):
    path = archive_csv(tmp_path / "bad.csv", COLUMNS, [[1, 0, 0, 10, 0.1, 5, 1], [2, 0, "north", 10, 0.1, 5, 1]])
    with pytest.raises(CatalogError, match="line 3, column 'dec'"):
        ingest_file(path, tmp_path / "out" / "part.arrow", tmp_path / "out" / "part.json")
    assert not any((tmp_path / "out").iterdir())


def test_bulk_file_round_trip(tmp_path):
    rows = [{"source_id": 10 + i, "ra": 1.0 * i, "dec": 2.0, "parallax": 4.0, "parallax_error": 0.05, "phot_g_mean_mag": 12.0} for i in range(20)]
    rows[3]["parallax"] = None
    path = bulk_csv(tmp_path / "GaiaSource_1.csv.gz", rows)
    summary = ingest_file(path, tmp_path / "p.arrow", tmp_path / "p.json")
    assert summary["rows_kept"] == 19 and summary["dropped"] == {"missing_parallax": 1}
    assert summary["colour_method"] == {"neutral": 19}


def test_synthetic_is_reproducible(tmp_path):
    ingest_synthetic(3000, 5, tmp_path / "a.arrow", tmp_path / "a.json")
    ingest_synthetic(3000, 5, tmp_path / "b.arrow", tmp_path / "b.json")
    assert (tmp_path / "a.arrow").read_bytes() == (tmp_path / "b.arrow").read_bytes()
    assert read_part(tmp_path / "a.arrow").num_rows > 2900


def test_options_are_validated():
    with pytest.raises(HeliosError, match="parallax_policy"):
        IngestOptions(parallax_policy="guess")
    with pytest.raises(HeliosError, match="limit"):
        IngestOptions(limit=0)
    with pytest.raises(HeliosError, match="distance_source"):
        IngestOptions(distance_source="photo")


MOTION_COLUMNS = ["source_id", "ra", "dec", "parallax", "parallax_error", "phot_g_mean_mag", "pmra", "pmdec", "radial_velocity"]


def test_motion_is_kept_counted_and_turned_into_space_velocities(tmp_path):
    from helios import motion

    rows = [
        [1, 10, 20, 100, 0.1, 5, 300, -200, 40],  # proper motion and radial velocity
        [2, 30, -10, 50, 0.1, 5, -50, 80, None],  # proper motion only: radial velocity 0
        [3, 50, 5, 20, 0.1, 5, None, None, -30],  # radial velocity only: at rest on the sky
        [4, 70, 45, 10, 0.1, 5, None, 12, None],  # half a proper motion is none
        [5, 90, 0, 10, 0.1, 5, "inf", 0, 0],  # invalid_motion
    ]
    table, summary = run(tmp_path, MOTION_COLUMNS, rows, parallax_zero_point_mas=0, ref_epoch=2016.0)
    assert table.column("source_id").to_pylist() == [1, 2, 3, 4]
    assert summary["dropped"] == {"invalid_motion": 1} and summary["example_lines"]["invalid_motion"] == [6]
    assert summary["motion_method"] == {"none": 1, "proper_motion_and_radial_velocity": 1, "proper_motion_only": 1,
                                        "radial_velocity_only": 1}
    assert table.column("motion_method").to_pylist()[:3] == ["proper_motion_and_radial_velocity", "proper_motion_only",
                                                             "radial_velocity_only"]
    assert np.isnan(table.column("radial_velocity").to_numpy()[1]) and np.isnan(table.column("pmra").to_numpy()[2])
    velocity = np.stack([table.column(c).to_numpy() for c in ("vx_pc_kyr", "vy_pc_kyr", "vz_pc_kyr")], 1)
    expected = motion.space_velocity(motion.Astrometry(np.array([10.0, 30, 50, 70]), np.array([20.0, -10, 5, 45]),
                                                       np.array([10.0, 20, 50, 100]), np.array([300.0, -50, 0, 0]),
                                                       np.array([-200.0, 80, 0, 0]), np.array([40.0, 0, -30, 0]), 2016.0))
    assert np.allclose(velocity, expected, rtol=1e-6) and np.all(velocity[3] == 0)
    unit = astro.icrs_to_cartesian(np.array([50.0]), np.array([5.0]), np.array([1.0]))[0]  # star 3 moves straight away from us
    assert np.allclose(velocity[2], -30 / 977.792 * unit, rtol=1e-3)


def test_ref_epoch_column_and_epoch_move_the_stars(tmp_path):
    """Stars at their ref_epoch (column, else option) are moved to ``epoch``; magnitudes follow the new distance."""
    from helios import motion

    columns = MOTION_COLUMNS + ["ref_epoch"]
    rows = [[1, 10, 20, 100, 0.1, 5, 300, -200, 40, None], [2, 10, 20, 100, 0.1, 5, 300, -200, 40, 1991.25]]
    table, summary = run(tmp_path, columns, rows, parallax_zero_point_mas=0, ref_epoch=2016.0, epoch=12016.0)
    later = [motion.propagate(motion.Astrometry(np.array([10.0]), np.array([20.0]), np.array([10.0]), np.array([300.0]),
                                                np.array([-200.0]), np.array([40.0]), start), 12016.0) for start in (2016.0, 1991.25)]
    assert np.allclose(table.column("ra").to_numpy(), [m.ra_deg[0] for m in later], rtol=0, atol=1e-12)
    assert np.allclose(table.column("distance_pc").to_numpy(), [m.distance_pc[0] for m in later], rtol=1e-12)
    assert table.column("distance_pc").to_numpy()[0] > 10.0 + 0.3  # 40 km/s away for 10 kyr: 0.41 pc farther
    g = table.column("phot_g_mean_mag").to_numpy()
    assert np.allclose(g, 5 + 5 * np.log10(table.column("distance_pc").to_numpy() / 10.0), atol=1e-5)
    assert np.allclose(table.column("abs_mag_g").to_numpy(), 5.0)  # intrinsic: unchanged
    assert summary["options"]["epoch"] == 12016.0


def test_epoch_options_are_checked():
    with pytest.raises(HeliosError, match="epoch must be a Julian year"):
        IngestOptions(epoch=1e9)
    with pytest.raises(HeliosError, match="ref_epoch must be a Julian year"):
        IngestOptions(ref_epoch="J2016")


@pytest.mark.parametrize("gz", [False, True])
def test_excel_export_with_bom_and_quoted_header_ingests(tmp_path, gz):
    import gzip

    header = ",".join(f'"{c}"' for c in [*COLUMNS, "note, free text"])
    rows = [[11, 1.0, 2.0, 10.0, 0.1, 5.0, 0.8, '"a, b"'], [12, 400.0, 4.0, 10.0, 0.1, 6.0, 0.8, "c"], [13, 5.0, 6.0, 20.0, 0.1, 7.0, 0.8, ""]]
    text = "\ufeff" + header + "\r\n" + "".join(",".join(str(v) for v in row) + "\r\n" for row in rows)
    path = tmp_path / ("excel.csv.gz" if gz else "excel.csv")
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    summary = ingest_file(path, tmp_path / "p.arrow", tmp_path / "p.json")
    table = read_part(tmp_path / "p.arrow")
    assert summary["rows_read"] == 3 and summary["rows_kept"] == 2 and summary["dropped"] == {"invalid_position": 1}
    assert summary["example_lines"]["invalid_position"] == [3]
    assert table.column("source_id").to_pylist() == [11, 13]
