"""Real Snakemake runs of the workflow on small configs."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from helios.batching import plan_batches
from tests.conftest import (
    REPO,
    TEST_CONFIG,
    TINY_TRAIN,
    StartedRun,
    WorkflowRun,
    archive_csv,
    blocked_imports_env,
    bulk_csv,
    planned_jobs,
    snakemake_command,
)

pytestmark = pytest.mark.slow


def snakemake(workdir, *args):
    return subprocess.run(snakemake_command(workdir, *args), capture_output=True, text=True)


def planned(workdir):
    return planned_jobs(snakemake_command(workdir))


def write_config(workdir, **sections):
    sections.setdefault("train", TINY_TRAIN)
    (workdir / "config.yaml").write_text(yaml.safe_dump({"output_dir": "results", **sections}))


@pytest.fixture(scope="session")  # not module: a pytest-xdist worker may run other modules' tests between this one's
def two_file_run(tmp_path_factory) -> WorkflowRun:
    """A Gaia bulk file (250 stars) and an Archive query (150, and one with a bad position), 6 x 3 sectors, the cells of
    nebulae (2 of the 49; bright stars would be 27 training jobs), the seed trainer's tiny splats: run end to end once
    for this module's tests (which leave it as it is)."""
    work = tmp_path_factory.mktemp("wf")
    rows = [{"source_id": 100 + i, "ra": (i * 37.0) % 360, "dec": -60 + (i * 11) % 120, "parallax": 2.0 + (i % 50),
             "parallax_error": 0.05, "phot_g_mean_mag": 5 + (i % 10) * 0.5, "bp_rp": 0.3 + (i % 7) * 0.3} for i in range(400)]
    bulk_csv(work / "GaiaSource_000000-000001.csv.gz", rows[:250])
    archive_csv(work / "query.csv", ["SOURCE_ID", "RA", "DEC", "PARALLAX", "PARALLAX_ERROR", "PHOT_G_MEAN_MAG"],
                [[r["source_id"], r["ra"], r["dec"], r["parallax"], r["parallax_error"], r["phot_g_mean_mag"]] for r in rows[250:]]
                + [[999, 10.0, 95.0, 1.0, 0.1, 7.0]])  # dec out of range: dropped and counted
    config = {"output_dir": "results", "catalog": {"files": ["GaiaSource_*.csv.gz", "query.csv"], "limit": 300},
              "grid": {"n_theta": 6, "n_phi": 3}, "select": {"neighbors": 0, "categories": ["nebula"]}, "train": TINY_TRAIN}
    return StartedRun(work, config, "--cores", "2").finished()


def test_outputs_and_counts(two_file_run):
    work = two_file_run.work
    out = work / "results"
    summary = json.loads((out / "ingest_summary.json").read_text())
    assert summary["rows_read"] == 401 and summary["rows_kept"] == 300
    assert summary["dropped"]["invalid_position"] == 1
    assert summary["rows_read"] == summary["rows_kept"] + sum(summary["dropped"].values())
    assert [f["source"] for f in summary["files"]] == ["GaiaSource_000000-000001.csv.gz", "query.csv"]
    index = json.loads((out / "universe" / "index.json").read_text())
    stars = pd.concat([pd.read_parquet(out / "universe" / cell["file"]) for cell in index["cells"]])
    assert len(stars) == 300 and stars["source_id"].is_unique
    assert sum(c["star_count"] for c in index["cells"]) == 300
    for entry in index["cells"]:
        assert pq.read_metadata(out / "universe" / entry["file"]).num_rows == entry["star_count"]
    selection = json.loads((out / "selection.json").read_text())
    assert selection["cell_count"] > 0 and {c["id"] for c in selection["cells"]} <= {c["id"] for c in index["cells"]}
    for log in ("logs/partition/plan.log", "logs/partition/index.log", "logs/select.log"):
        assert (work / log).read_text().strip()
    assert len(list((work / "logs" / "ingest").glob("*.log"))) == 2
    # Every selected cell was trained, one job (its folder, named by the cell, and its log) each.
    jobs = sorted(p.name for p in (out / "trained" / "splats").iterdir())
    assert jobs == sorted(c["id"] for c in selection["cells"])
    for cell in jobs:
        made = sorted(p.name for p in (out / "trained" / "splats" / cell).iterdir() if p.name != ".snakemake_timestamp")  # Snakemake's mark
        assert made == [f"{cell}.json", f"{cell}.ply"]
        metrics = json.loads((out / "trained" / "splats" / cell / f"{cell}.json").read_text())
        assert metrics["status"] == "ok" and metrics["backend"] == "torch"
        assert "loss" in (work / "logs" / "train" / f"{cell}.log").read_text()


def test_gather_outputs(two_file_run):
    work = two_file_run.work
    out = work / "results"
    validation = json.loads((out / "validation.json").read_text())
    assert validation["ok"], validation
    trained = json.loads((out / "trained" / "index.json").read_text())
    selection = json.loads((out / "selection.json").read_text())
    assert [c["id"] for c in trained["cells"]] == [c["id"] for c in selection["cells"]]
    assert all(not c["file"].startswith("/") and ".." not in c["file"] for c in trained["cells"])
    metrics = json.loads((out / "report" / "training_metrics.json").read_text())
    assert metrics["aggregate"]["cells"] == len(trained["cells"])
    for name in ("convergence.png", "gallery.png", "sky.png", "sky_as_seen.png"):
        assert (out / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "report" / "report.html").read_text()
    assert page.count("<tr>") == len(trained["cells"]) + 1 and page.count("data:image/png;base64,") == 4 and "http" not in page.split("<body>")[1]
    assert "The universe, every star a point" in page and "As the eye sees it" in page
    from helios.pack import read_pack

    pack = read_pack(out / "trained" / "pack" / "shard-0000.pack.bin")  # the run's universe is one shard
    universe = json.loads((out / "universe" / "index.json").read_text())
    assert [s["id"] for s in universe["shards"]] == ["shard-0000"]
    assert set(pack.cells) == {c["id"] for c in universe["cells"]}
    assert {cell_id for cell_id in pack.cells if pack.block(cell_id, "splats")} == {c["id"] for c in trained["cells"]}
    site = out / "site"
    for name in ("index.json", "shard-0000.pack.bin"):
        assert (site / "pack" / name).read_bytes() == (out / "trained" / "pack" / name).read_bytes()
    assert json.loads((site / "site.json").read_text())["pack"] == "pack/index.json"
    assert (site / "index.html").is_file() and (site / "vendor" / "three.module.js").is_file()


def test_snakemake_report(two_file_run, tmp_path):
    result = snakemake(two_file_run.work, "--report", str(tmp_path / "report.html"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text()
    assert "convergence.png" in page and "gallery.png" in page and "sky.png" in page and "sky_as_seen.png" in page


def test_config_edits_rerun_what_they_affect(two_file_run, tmp_path):
    work, edited = two_file_run.work, tmp_path / "config.yaml"  # the session's run; each edit in a config file of its own
    config = yaml.safe_load((work / "config.yaml").read_text())
    assert planned(work) == {}
    # Jobs after a checkpoint that must rerun are not in a dry run: a new selection hides the training jobs
    # (test_widening_the_neighbourhood_trains_only_the_new_cells runs it for real).
    gather = {"trained_index": 1, "pack_shard": 1, "pack_index": 1, "validate_shard": 1, "site": 1, "report_shard": 1, "report": 1,
              "validate": 1, "check_validation": 1, "all": 1}
    # The partition of the run's two parts; its reduce jobs, and each shard's pack, checks and pictures, come after the plan
    # checkpoint, so not in a dry run.
    plan = {"partition_plan": 1, "partition_split": 2, "partition_index": 1, "select": 1}
    partition = {"partition_count": 2, **plan}
    replanned = {key: count for key, count in gather.items() if key not in ("pack_shard", "validate_shard", "report_shard")}
    edits = [
        ({"grid": {"n_theta": 8, "n_phi": 3}}, {**partition, **replanned}),
        ({"grid": {"n_theta": 6, "n_phi": 3, "max_stars": 50}}, {**plan, **replanned}),  # a new bound replans, no recount
        ({"partition": {"shard_rows": 120_000}}, {**plan, **replanned}),
        ({"select": {"neighbors": 1, "categories": ["nebula"]}}, {"select": 1, **gather}),
        (
            {"train": {**TINY_TRAIN, "iterations": 9}},
            {"train_splats": len(list((work / "results" / "trained" / "splats").glob("*/*.ply"))), **gather},
        ),
        ({"pack": {"dtype": "float16"}}, {"pack_shard": 1, "pack_index": 1, "validate_shard": 1, "site": 1, "validate": 1, "report": 1,
                                          "check_validation": 1, "all": 1}),
        ({"validate": {"min_median_loss_reduction": 0.001}}, {"validate": 1, "report": 1, "check_validation": 1, "all": 1}),
        # No minor planets: the pack index without them, checked again, and the site; no star is packed again.
        ({"solar_system": {"mpcorb": None}}, {"pack_index": 1, "validate_shard": 1, "site": 1, "validate": 1, "report": 1,
                                              "check_validation": 1, "all": 1}),
        # The run's catalogue has a limit: its threshold is found again from the new parts.
        ({"catalog": {**config["catalog"], "max_mag": 8.0}}, {"ingest_part": 2, "partition_limit": 1, **partition, **replanned}),
        # Each file's ingest keeps only its own `limit` brightest, so the limit reaches back to ingest.
        ({"catalog": {**config["catalog"], "limit": 200}}, {"ingest_part": 2, "partition_limit": 1, **partition, **replanned}),
    ]
    for change, expected in edits:
        write_config(tmp_path, **{**config, **change})
        assert planned_jobs(snakemake_command(work, configfile=edited)) == expected, change


def test_batched_mode_trains_every_cell_as_per_cell_mode_does(tiny_starfield_run, tmp_path):
    """train_jobs.batch_cells > 1 on the universe of a per-cell run (the session's seed-trainer run of .test/config.yaml):
    the same rule, one job per batch, the same cells."""
    config = yaml.safe_load((tiny_starfield_run.work / "config.yaml").read_text())
    batched = {**config, "output_dir": "batched", "universe_dir": str(tiny_starfield_run.results / "universe"), "train": TINY_TRAIN,
               "train_jobs": {"batch_cells": 3, "batch_class_width": 2}}
    write_config(tmp_path, **batched)
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr
    out, per_cell = tmp_path / "batched", tiny_starfield_run.results
    assert json.loads((out / "validation.json").read_text())["ok"]
    selection = json.loads((out / "selection.json").read_text())
    batches = sorted(p.name for p in (out / "trained" / "splats").iterdir())
    assert batches == sorted(plan_batches(selection["cells"], 3, class_width=2))
    assert result.stderr.count("rule train_splats:") == len(batches) < selection["cell_count"]
    index = json.loads((out / "trained" / "index.json").read_text())
    reference = {c["id"]: c for c in json.loads((per_cell / "trained" / "index.json").read_text())["cells"]}
    assert sorted(c["id"] for c in index["cells"]) == sorted(reference)
    for cell in index["cells"]:
        assert cell["file"].startswith("splats/s") and cell["file"].endswith(f"/{cell['id']}.ply") and (out / "trained" / cell["file"]).is_file()
        metrics = json.loads((out / "trained" / cell["metrics_file"]).read_text())
        assert metrics["status"] == "ok" and metrics["batched"]["batch"] == cell["file"].split("/")[1]
        assert cell["metrics"]["loss_final"] == pytest.approx(reference[cell["id"]]["metrics"]["loss_final"], rel=1e-3)
    assert (tmp_path / "logs" / "train" / f"{batches[0]}.log").read_text().count("cells in") == 1
    assert planned(tmp_path) == {}
    write_config(tmp_path, **{**batched, "train": {**batched["train"], "iterations": 9}})
    assert planned(tmp_path) == {"train_splats": len(batches), "trained_index": 1, "pack_shard": 1, "pack_index": 1, "validate_shard": 1,
                                 "site": 1, "report_shard": 1, "report": 1, "validate": 1, "check_validation": 1, "all": 1}


def test_bad_catalogue_fails_the_workflow_cleanly(tmp_path):
    """A part that fails to ingest fails its job naming the file, row and column, leaves nothing of itself behind,
    and once fixed a rerun ingests only it (the other part's ingest stands)."""
    columns = ["ra", "dec", "parallax", "phot_g_mean_mag"]
    archive_csv(tmp_path / "good.csv", columns, [[10, 20, 30, 4], [11, 21, 31, 5]])
    archive_csv(tmp_path / "bad.csv", columns, [[1, 2, 3, 4], [1, 2, "??", 4]])
    write_config(tmp_path, catalog={"files": ["good.csv", "bad.csv"]})
    result = snakemake(tmp_path, "--keep-going")
    assert result.returncode != 0
    [log] = [path.read_text() for path in (tmp_path / "logs" / "ingest").glob("*.log") if "bad.csv" in path.read_text()]
    assert "bad.csv: line 3, column 'parallax': value '??' is not a number" in log
    assert "Traceback" not in log
    ingested = sorted(p.name.split("-")[0] for p in (tmp_path / "results" / "ingest").rglob("*") if p.is_file())
    assert ingested == ["good", "good"], ingested  # good.csv's part and its summary; nothing of bad.csv's
    assert not (tmp_path / "results" / "universe").exists()
    archive_csv(tmp_path / "bad.csv", columns, [[1, 2, 3, 4], [1, 2, 5, 4]])
    assert planned(tmp_path)["ingest_part"] == 1


def test_invalid_config_is_rejected(tmp_path):
    write_config(tmp_path, catalog={"files": ["x.csv"]}, grid={"base": 0.5})
    result = snakemake(tmp_path, "-n")
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "0.5 is less than or equal to the minimum of 1" in output


def test_synthetic_sky_run_where_node_is_missing(tiny_starfield_run_without_node):
    """A machine without the client's npm install (a cluster's login node without Node): everything but the site
    is built, the run says once how to build the site, and exits 0 (the fixture's run, from scratch)."""
    run = tiny_starfield_run_without_node
    assert run.output.count("the web site is skipped") == 1 and "npm ci --prefix client" in run.output, run.output[-3000:]
    assert not (run.results / "site").exists() and (run.results / "validation.ok").is_file()
    selection = json.loads((run.results / "selection.json").read_text())
    index = json.loads((run.results / "universe" / "index.json").read_text())
    assert selection["cell_count"] == index["cell_count"] > 0


def test_the_seed_trainers_splats_are_packed_and_validated_without_torch(tiny_starfield_run, tmp_path):
    """Packing and validating read the PLY files with numpy: with torch not importable (tests/blocked_imports), the
    session's seed-trainer run packs to the same bytes and validates (torch's import would be 2 s of each such job)."""
    env = blocked_imports_env("torch,gsplat")
    results = tiny_starfield_run.results
    for args in (["pack", str(results), "--output", str(tmp_path / "again")], ["validate", str(results)]):
        done = subprocess.run([sys.executable, "-m", "helios.cli", *args], capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, (args[0], done.stderr[-2000:])
    for name in ("index.json", "shard-0000.pack.bin"):
        assert (tmp_path / "again" / name).read_bytes() == (results / "trained" / "pack" / name).read_bytes()


def test_the_test_config_runs_end_to_end(tiny_levels_run, tmp_path):
    """.test/config.yaml (levels of detail, the default) as a new user would run it (the session's run); helios validate
    and helios render on what it made; config edits rerun exactly the levels they affect."""
    results, output = tiny_levels_run.results, tiny_levels_run.output
    run = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(tiny_levels_run.work), "--cores", "2"]
    validation = json.loads((results / "validation.json").read_text())
    assert validation["ok"] and validation["summary"]["cells"]["trained"] == validation["summary"]["cells"]["universe"] > 3
    summary = validation["summary"]
    assert summary["ground_truth"] == "levels" and summary["levels"]["levels"] == 2 * summary["cells"]["trained"]
    again = subprocess.run([sys.executable, "-m", "helios.cli", "validate", str(results), "--min-median-loss-reduction", "0"],
                           capture_output=True, text=True)
    assert again.returncode == 0 and "ok" in again.stdout.lower(), again.stdout + again.stderr
    trained = json.loads((results / "trained" / "index.json").read_text())
    assert trained["ground_truth"] == "levels" and all(c["file"] == f"levels/{c['id']}/{c['id']}.levels.parquet" for c in trained["cells"])
    assert sorted(p.name for p in (results / "trained" / "levels").iterdir()) == sorted(c["id"] for c in trained["cells"])
    assert output.count("rule train_levels:") == trained["cell_count"] and "rule train_splats:" not in output
    assert (results / "site" / "pack" / "index.json").read_bytes() == (results / "trained" / "pack" / "index.json").read_bytes()
    report = json.loads((results / "report" / "training_metrics.json").read_text())
    assert report["ground_truth"] == "levels" and len(report["aggregate"]["levels_beside_points"]) == 4
    curves = report["aggregate"]["curves"]  # 2 views x 2 fractions x 3 methods, at equal bytes
    assert len(curves) == 12 and {r["method"] for r in curves} == {"cut", "clustered", "trained"}
    assert all(abs(r["flux_error"]) < 0.1 for r in curves if r["method"] != "cut")
    # helios render on the run: far away, cells are drawn at their trained levels, and the light is the points' light.
    camera = ["--from", "0", "0", "300000", "--look-at", "sun", "--up", "1", "0", "0", "--fov", "3", "--size", "96", "96"]
    images, logs = {}, {}
    for name, extra in (("levels", []), ("points", ["--points"])):
        done = subprocess.run([sys.executable, "-m", "helios.cli", "render", str(results), *camera, *extra,
                               "--output", str(tmp_path / f"{name}.npy")], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        images[name], logs[name] = np.load(tmp_path / f"{name}.npy"), done.stderr
    # 300 kpc away every star is far below 6.5 mag: the rule draws the coarsest level (its glow is too faint to see).
    assert "cells drawn by level (docs/levels.md; trained Gaussians): 0.03:" in logs["levels"], logs["levels"]
    assert not np.array_equal(images["levels"], images["points"])
    assert images["levels"].sum(dtype=np.float64) == pytest.approx(images["points"].sum(dtype=np.float64), rel=0.01)
    # Reruns: a levels edit retrains every cell's levels; the splat trainer's options change nothing.
    config = yaml.safe_load(TEST_CONFIG.read_text())
    for change, expected in (({"levels": {**config["levels"], "iterations": 9}},
                              {"train_levels": trained["cell_count"], "trained_index": 1, "pack_shard": 1, "pack_index": 1,
                               "validate_shard": 1, "site": 1, "report_shard": 1, "report": 1, "validate": 1, "check_validation": 1,
                               "all": 1}),
                             ({"train": {**config["train"], "learning_rate": 0.5}}, {})):
        (tmp_path / "edited.yaml").write_text(yaml.safe_dump({**config, **change}, sort_keys=False))  # key order is part of params
        assert planned_jobs([*run, "--configfile", str(tmp_path / "edited.yaml")]) == expected, change


def test_batched_level_jobs_make_the_same_levels(tiny_levels_run, tmp_path):
    """Batched level jobs (train_jobs.batch_cells: 3) on the universe of .test/config.yaml's run: the same rule, fewer
    jobs, the same levels byte for byte."""
    results = tiny_levels_run.results
    trained = json.loads((results / "trained" / "index.json").read_text())
    config = yaml.safe_load(TEST_CONFIG.read_text())
    batched = {**config, "output_dir": "batched", "universe_dir": str(results / "universe"),
               "train_jobs": {**config.get("train_jobs", {}), "batch_cells": 3}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(batched, sort_keys=False))
    done = snakemake(tmp_path)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "batched"
    assert json.loads((out / "validation.json").read_text())["ok"]
    plan = plan_batches(json.loads((out / "selection.json").read_text())["cells"], 3, class_width=2)
    assert sorted(p.name for p in (out / "trained" / "levels").iterdir()) == sorted(plan)
    assert done.stderr.count("rule train_levels:") == len(plan) < trained["cell_count"]
    cells = json.loads((out / "trained" / "index.json").read_text())["cells"]
    assert sorted(c["id"] for c in cells) == sorted(c["id"] for c in trained["cells"])
    for cell in cells:
        batch = next(name for name, ids in plan.items() if cell["id"] in ids)
        assert cell["file"] == f"levels/{batch}/{cell['id']}.levels.parquet"
        per_cell = results / "trained" / "levels" / cell["id"] / f"{cell['id']}.levels.parquet"
        assert (out / "trained" / cell["file"]).read_bytes() == per_cell.read_bytes()
    for name in ("index.json", "shard-0000.pack.bin"):
        assert (out / "trained" / "pack" / name).read_bytes() == (results / "trained" / "pack" / name).read_bytes()
    assert " in batch " in (tmp_path / "logs" / "levels" / f"{sorted(plan)[0]}.log").read_text()


def test_batches_with_densification_are_refused_before_any_job(tmp_path):
    """The combination fails when the config is read, not in every batch job after ingest and partition ran."""
    write_config(tmp_path, catalog={"synthetic": {"stars": 500, "seed": 1}}, train={**TINY_TRAIN, "densify_from": 10, "densify_until": 100},
                 train_jobs={"batch_cells": 64})
    result = snakemake(tmp_path, "-n")
    assert result.returncode != 0 and "train_jobs.batch_cells 64 trains cells in batches, which cannot densify" in result.stdout + result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs CUDA")
def test_level_jobs_given_a_gpu_train_there(tmp_path):
    """train_jobs.gpus: 1 gives every train_levels job a GPU; each trains its levels with CUDA and says so."""
    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["train_jobs"] = {**config.get("train_jobs", {}), "gpus": 1}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr
    logs = list((tmp_path / "logs" / "levels").glob("*.log"))
    assert logs and all("levels written in" in log.read_text() and "(cuda)" in log.read_text() for log in logs)
    assert json.loads((tmp_path / "results" / "validation.json").read_text())["ok"]


def test_the_snakefile_is_read_without_torch(tmp_path):
    """Snakemake reads the Snakefile at every start (twice for each SLURM job): doing so imports no torch (about 2 s),
    for levels and for the seed trainer's products alike; a dry run plans the whole default workflow."""
    env = blocked_imports_env("torch,gsplat")
    blocked = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True, text=True, env=env)
    assert blocked.returncode != 0 and "blocked by tests/blocked_imports" in blocked.stderr
    for product in ("levels", "starfield"):
        config = {**yaml.safe_load(TEST_CONFIG.read_text()), "train": {**TINY_TRAIN, "ground_truth": product}}
        (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
        assert planned_jobs(snakemake_command(tmp_path), env=env)["partition_plan"] == 1, product
