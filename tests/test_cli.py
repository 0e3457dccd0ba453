"""The `helios` console script, run as a user would (a real subprocess)."""

import json
import shutil
import subprocess

import pandas as pd
import pytest

import helios
from tests.conftest import archive_csv

HELIOS = shutil.which("helios")
pytestmark = pytest.mark.skipif(HELIOS is None, reason="the helios console script is not installed (pip install -e .)")


def helios_cli(*args, cwd=None):
    return subprocess.run([HELIOS, *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_version_and_help():
    result = helios_cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"helios {helios.__version__}"
    for command in ("build", "select"):
        help_text = helios_cli(command, "--help").stdout
        assert "--output" in help_text
    assert "--max-mag" in helios_cli("build", "--help").stdout and "--neighbors" in helios_cli("select", "--help").stdout


def test_build_and_select_from_a_catalogue(tmp_path, repo):
    out = tmp_path / "universe"
    result = helios_cli("build", "--stars", repo / "data" / "hipparcos2_hp7.csv.gz", "--parallax-zero-point", "0",
                        "--max-mag", "6", "--limit", "3000", "--output", out)
    assert result.returncode == 0, result.stderr
    assert "stars in" in result.stdout
    for name in ("stars.parquet", "ingest_summary.json", "index.json"):
        assert (out / name).is_file()
    stars = pd.read_parquet(out / "stars.parquet")
    assert len(stars) == 3000 and stars["phot_g_mean_mag"].max() <= 6
    index = json.loads((out / "index.json").read_text())
    assert len(list((out / "cells").glob("*.parquet"))) == index["cell_count"] > 10
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no scratch left behind

    selection = tmp_path / "selection.json"
    result = helios_cli("select", "--input", out, "--neighbors", "0", "--category", "bright_star", "--output", selection)
    assert result.returncode == 0, result.stderr
    doc = json.loads(selection.read_text())
    assert doc["neighbors"] == 0 and 0 < doc["cell_count"] <= index["cell_count"]
    assert all(r["category"] == "bright_star" and r["distance"] == 0 for c in doc["cells"] for r in c["landmarks"])


def test_build_synthetic_is_reproducible(tmp_path):
    for name in ("a", "b"):
        assert helios_cli("build", "--synthetic", 5000, "--seed", 9, "--output", tmp_path / name).returncode == 0
    for name in ("stars.parquet", "index.json", "ingest_summary.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_user_errors_are_one_paragraph_without_traceback(tmp_path):
    bad = archive_csv(tmp_path / "bad.csv", ["ra", "dec", "parallax", "phot_g_mean_mag"], [[1, 2, 3, 4], [1, "x", 3, 4]])
    result = helios_cli("build", "--stars", bad, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"helios: error: {bad}: line 3, column 'dec': value 'x' is not a number" in result.stderr
    assert not (tmp_path / "out" / "index.json").exists() and not (tmp_path / "out" / "stars.parquet").exists()


def test_select_needs_a_built_universe(tmp_path):
    result = helios_cli("select", "--input", tmp_path, "--output", tmp_path / "s.json")
    assert result.returncode == 1 and "no universe index here" in result.stderr


def test_select_with_a_bad_landmarks_file(tmp_path):
    assert helios_cli("build", "--synthetic", 500, "--output", tmp_path / "u").returncode == 0
    (tmp_path / "marks.json").write_text(json.dumps({"landmarks": [{"name": "X", "category": "galaxy", "x_pc": 1}]}))
    result = helios_cli("select", "--input", tmp_path / "u", "--landmarks", tmp_path / "marks.json", "--output", tmp_path / "s.json")
    assert result.returncode == 1 and "entry 0 ('X'): 'y_pc' is a required property" in result.stderr
    assert not (tmp_path / "s.json").exists()


def test_argument_errors():
    result = helios_cli("build", "--synthetic", "0", "--output", "x")
    assert result.returncode == 2 and "must be a positive integer" in result.stderr


def test_train_cell_and_train_batch(tmp_path):
    assert helios_cli("build", "--synthetic", 3000, "--output", tmp_path / "u").returncode == 0
    cells = sorted((tmp_path / "u" / "cells").glob("*.parquet"), key=lambda p: p.stat().st_size)[-2:]
    tiny = ["--iterations", "6", "--image-size", "24", "--views-per-iter", "1", "--train-views", "2", "--eval-views", "1",
            "--select-every", "3", "--backend", "torch"]
    result = helios_cli("train-cell", "--cell", cells[0], "--output", tmp_path / "one.ply", "--densify-until", "0", *tiny)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "one.json").read_text())["status"] == "ok"
    result = helios_cli("train-batch", "--cells", *cells, "--output-dir", tmp_path / "batch", *tiny)
    assert result.returncode == 0, result.stderr
    assert "2 cells written" in result.stdout and "2 ok" in result.stdout
    for cell in cells:
        assert json.loads((tmp_path / "batch" / f"{cell.stem}.json").read_text())["batched"]["trained_together"] == 2
    refused = helios_cli("train-batch", "--cells", *cells, "--output-dir", tmp_path / "x", "--densify-until", "500", *tiny)
    assert refused.returncode == 1 and "does not densify" in refused.stderr and "Traceback" not in refused.stderr
