"""The `helios` console script, run as a user would (a real subprocess)."""

import json
import shutil
import subprocess

import pandas as pd
import pyarrow.parquet as pq
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
    for name in ("ingest_summary.json", "index.json"):
        assert (out / name).is_file()
    index = json.loads((out / "index.json").read_text())
    stars = pd.concat([pd.read_parquet(out / cell["file"]) for cell in index["cells"]])
    assert len(stars) == 3000 and stars["phot_g_mean_mag"].max() <= 6
    assert len(list((out / "cells").glob("shard-0000/*.parquet"))) == index["cell_count"] > 10
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".helios-output.json"]  # the marker, no scratch

    selection = tmp_path / "selection.json"
    result = helios_cli("select", "--input", out, "--neighbors", "0", "--category", "bright_star", "--output", selection)
    assert result.returncode == 0, result.stderr
    doc = json.loads(selection.read_text())
    assert doc["neighbors"] == 0 and 0 < doc["cell_count"] <= index["cell_count"]
    assert all(r["category"] == "bright_star" and r["distance"] == 0 for c in doc["cells"] for r in c["landmarks"])


def test_build_synthetic_is_reproducible(tmp_path):
    for name in ("a", "b"):
        assert helios_cli("build", "--synthetic", 5000, "--seed", 9, "--output", tmp_path / name).returncode == 0
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    for name in ("index.json", "ingest_summary.json", *(cell["file"] for cell in index["cells"])):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_build_with_minor_planets_and_pack_them(tmp_path):
    """helios synthetic-mpcorb writes an MPCORB file (once: never over an existing file); helios build --mpcorb reads
    it (a bad line counted, not fatal) into DIR/minor_planets.bin, which helios pack carries and lists in its index;
    a file without orbits stops the build before it writes anything."""
    belt = tmp_path / "MPCORB.DAT.gz"
    assert helios_cli("synthetic-mpcorb", "--count", 3000, "--seed", 2, "--output", belt).returncode == 0
    again = helios_cli("synthetic-mpcorb", "--count", 10, "--output", belt)
    assert again.returncode != 0 and "exists" in again.stderr
    import gzip

    with gzip.open(belt, "rt") as handle:
        lines = handle.read().splitlines()
    lines[5] = lines[5][:60]  # a line cut short
    damaged = tmp_path / "MPCORB.DAT"
    damaged.write_text("\n".join(lines) + "\n")
    result = helios_cli("build", "--synthetic", 500, "--output", tmp_path / "u", "--mpcorb", damaged)
    assert result.returncode == 0, result.stderr
    assert "2,999 minor planets written" in result.stdout and "1 bad lines skipped: 1 shorter than 103 characters (line 6)" in result.stdout
    assert helios_cli("pack", tmp_path / "u", "--output", tmp_path / "pack").returncode == 0
    entry = json.loads((tmp_path / "pack" / "index.json").read_text())["minor_planets"]
    assert entry["count"] == 2999 and entry["synthetic"] and (tmp_path / "pack" / entry["file"]).stat().st_size == entry["bytes"]

    (tmp_path / "notes.txt").write_text("not an orbit file\n")
    refused = helios_cli("build", "--synthetic", 500, "--output", tmp_path / "v", "--mpcorb", tmp_path / "notes.txt")
    assert refused.returncode != 0 and "notes.txt: 0 orbits from 1 lines" in refused.stderr and not (tmp_path / "v").exists()


def test_build_a_synthetic_milky_way(tmp_path):
    for name in ("a", "b"):
        result = helios_cli("build", "--synthetic", 20000, "--model", "milky-way", "--seed", 3, "--frame", "galactic", "--output", tmp_path / name)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "a" / "index.json").read_bytes() == (tmp_path / "b" / "index.json").read_bytes()
    summary = json.loads((tmp_path / "a" / "ingest_summary.json").read_text())
    assert summary["rows_kept"] == 20000 and summary["distance_method"] == {"column": 20000} and summary["files"][0]["source"].endswith(":milky-way")
    index = json.loads((tmp_path / "a" / "index.json").read_text())
    assert max(c["bounds"]["r_min_pc"] for c in index["cells"]) > 4000  # stars across the Galaxy, kiloparsecs away


def test_user_errors_are_one_paragraph_without_traceback(tmp_path):
    bad = archive_csv(tmp_path / "bad.csv", ["ra", "dec", "parallax", "phot_g_mean_mag"], [[1, 2, 3, 4], [1, "x", 3, 4]])
    result = helios_cli("build", "--stars", bad, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"helios: error: {bad}: line 3, column 'dec': value 'x' is not a number" in result.stderr
    assert not (tmp_path / "out" / "index.json").exists() and not (tmp_path / "out" / "cells").exists()


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
    cells = sorted((tmp_path / "u" / "cells").glob("*/*.parquet"), key=lambda p: p.stat().st_size)[-2:]
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


def test_training_help_comes_from_the_config_schema():
    from helios.config import section

    help_text = " ".join(helios_cli("train-cell", "--help").stdout.split())
    for key, entry in section("train").items():
        assert f"--{key.replace('_', '-')}" in help_text
        assert " ".join(entry["description"].split()[:6]) in help_text, key
    assert "(default: 1000)" in help_text  # train-cell: the schema's defaults
    workflow_help = " ".join(helios_cli("train-all", "--help").stdout.split())
    assert "--cores" in workflow_help and "(default: 200)" in workflow_help  # train-all: config/config.yaml's


def test_train_all_needs_a_built_universe(tmp_path):
    result = helios_cli("train-all", "--input", tmp_path / "nothing", "--output", tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "not a universe built by `helios build`" in result.stderr
    assert not (tmp_path / "out").exists()
    bad = helios_cli("train-all", "--input", tmp_path, "--output", tmp_path / "out", "--ground-truth", "starfield", "--views-per-iter", "9",
                     "--train-views", "4")
    assert bad.returncode == 1 and "views_per_iter must be between 1 and train_views" in bad.stderr


@pytest.mark.slow
def test_train_all_and_train_landmarks_run_the_workflow(tmp_path):
    universe = tmp_path / "universe"
    assert helios_cli("build", "--synthetic", "2000", "--seed", "6", "--output", universe, "--n-theta", "1", "--n-phi", "2",
                      "--base", "10").returncode == 0  # 4 cells
    tiny = ["--iterations", "20", "--image-size", "24", "--views-per-iter", "2", "--train-views", "8", "--eval-views", "3",
            "--select-every", "4", "--backend", "torch", "--ground-truth", "starfield", "--cores", "2"]
    result = helios_cli("train-all", "--input", universe, "--output", tmp_path / "all", *tiny)
    assert result.returncode == 0, result.stderr
    index = json.loads((universe / "index.json").read_text())
    validation = json.loads((tmp_path / "all" / "validation.json").read_text())
    assert validation["ok"] and validation["summary"]["cells"]["trained"] == index["cell_count"]
    assert (tmp_path / "all" / "trained" / "pack" / "index.json").is_file() and (tmp_path / "all" / "report" / "report.html").is_file()
    assert (tmp_path / "all" / "helios-config.yaml").is_file() and list((tmp_path / "all" / "logs" / "train").glob("*.log"))
    rerun = (tmp_path / "all" / "helios-config.yaml").read_text().splitlines()[0]
    assert "snakemake -s" in rerun and "config.yaml" in rerun and "helios-config.yaml" in rerun
    assert not (tmp_path / "all" / "universe").exists()  # the given universe is used, not rebuilt
    assert helios_cli("validate", tmp_path / "all", "--universe", universe).returncode == 0

    near = ["--neighbors", "0", "--category", "star_group"]  # one cell of the 4
    result = helios_cli("train-landmarks", "--input", universe, "--output", tmp_path / "near", *near, *tiny)
    assert result.returncode == 0, result.stderr
    expected = helios_cli("select", "--input", universe, *near, "--output", tmp_path / "selection.json")
    assert expected.returncode == 0
    chosen = {c["id"] for c in json.loads((tmp_path / "selection.json").read_text())["cells"]}
    trained = {c["id"] for c in json.loads((tmp_path / "near" / "trained" / "index.json").read_text())["cells"]}
    assert trained == chosen and chosen


def test_a_catalogue_that_leaves_no_star_is_an_error_naming_files_and_drops(tmp_path):
    header = "source_id,ra,dec,parallax,phot_g_mean_mag,bp_rp\n"
    (tmp_path / "empty.csv").write_text(header)
    result = helios_cli("build", "--stars", tmp_path / "empty.csv", "--output", tmp_path / "u")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "the catalogue has no data rows" in result.stderr and "empty.csv: 0 rows read" in result.stderr
    assert not (tmp_path / "u").exists()
    (tmp_path / "dropped.csv").write_text(header + "1,10,95,5,5,1\n2,10,10,5,25,1\n")
    result = helios_cli("build", "--stars", tmp_path / "dropped.csv", tmp_path / "empty.csv", "--max-mag", "20", "--output", tmp_path / "u")
    assert result.returncode == 1 and "no star of the catalogue passed the filters" in result.stderr
    assert "dropped.csv: 2 rows read (dropped: fainter_than_max_mag 1, invalid_position 1)" in result.stderr
    assert not (tmp_path / "u").exists()


def test_view_serves_a_results_directory_with_byte_ranges(tmp_path):
    """helios view as a user runs it (with --no-browser): the report page and byte ranges of any file."""
    import urllib.request

    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "report.html").write_text("<html>report</html>")
    (tmp_path / "trained").mkdir()
    (tmp_path / "trained" / "cells.pack.bin").write_bytes(bytes(range(200)))
    process = subprocess.Popen([HELIOS, "view", str(tmp_path), "--port", "0", "--no-browser"], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith(f"serving {tmp_path} at http://127.0.0.1:") and line.split()[3].endswith("/report/report.html"), line
        url = line.split()[3]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"<html>report</html>"
        base = url.rsplit("/report/", 1)[0]
        request = urllib.request.Request(base + "/trained/cells.pack.bin", headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 206 and response.read() == bytes(range(10, 20))
    finally:
        process.terminate()
        process.wait(timeout=10)
    missing = helios_cli("view", tmp_path / "absent", "--no-browser")
    assert missing.returncode == 1 and "not a directory to serve" in missing.stderr


def test_levels_cell_builds_one_cells_levels_and_names_bad_options(tmp_path):
    assert helios_cli("build", "--synthetic", 2000, "--output", tmp_path / "u").returncode == 0
    cell = max((tmp_path / "u" / "cells").glob("*/*.parquet"), key=lambda p: p.stat().st_size)
    tiny = ["--iterations", "4", "--image-size", "16", "--train-views", "2", "--eval-views", "1", "--views-per-iter", "1", "--eval-every", "2"]
    result = helios_cli("levels-cell", "--cell", cell, "--output", tmp_path / "one", "--fractions", "0.05", "0.2", "--min-stars", "2", *tiny)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "one.levels.json").read_text())
    assert [level["fraction"] for level in metrics["levels"]] == [0.05, 0.2] and (tmp_path / "one.levels.parquet").is_file()
    assert f"cell {cell.stem}: 2 levels" in result.stdout
    stars = pq.read_metadata(cell).num_rows
    assert stars < 256  # a cell of 2,000 stars in 96 cells: below levels.min_stars, it gets none
    none = helios_cli("levels-cell", "--cell", cell, "--output", tmp_path / "none", *tiny)
    assert none.returncode == 0 and f"cell {cell.stem}: {stars} stars, fewer than levels.min_stars 256: no levels" in none.stdout
    bad = helios_cli("levels-cell", "--cell", cell, "--output", tmp_path / "two", "--fractions", "0.2", "0.05")
    assert bad.returncode == 1 and "levels.fractions [0.2, 0.05]: give increasing fractions" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "two.levels.parquet").exists()
    import torch

    if not torch.cuda.is_available():
        no_gpu = helios_cli("levels-cell", "--cell", cell, "--output", tmp_path / "three", "--device", "cuda", *tiny)
        assert no_gpu.returncode == 1 and "--device cuda: PyTorch sees no CUDA device here" in no_gpu.stderr
        assert not (tmp_path / "three.levels.parquet").exists()
