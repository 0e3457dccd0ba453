"""Reruns, reproducibility and faults, each on a real Snakemake run of a small config."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import REPO, TINY_TRAIN, planned_jobs, snakemake_command

pytestmark = pytest.mark.slow
SKY = {"synthetic": {"stars": 2000, "seed": 6}}
GRID = {"n_theta": 2, "n_phi": 2, "base": 10.0}
#: The cells of bright stars: 4 of the sky's 8 (the 1 neighbour around them: all 8), so that a run with some trained and
#: some not can be killed, and few training jobs start.
BRIGHT_STAR_CELLS = {"neighbors": 0, "categories": ["bright_star"]}


def configure(work, **overrides):
    config = {"output_dir": "results", "catalog": SKY, "grid": GRID, "train": TINY_TRAIN, **overrides}
    (work / "config.yaml").write_text(yaml.safe_dump(config))


def reconfigure(work, **changes):
    """``work/config.yaml`` (a copy of a session run's) with whole sections replaced."""
    config = yaml.safe_load((work / "config.yaml").read_text())
    (work / "config.yaml").write_text(yaml.safe_dump({**config, **changes}))


def snakemake(work, *args, env=None):
    return subprocess.run(snakemake_command(work, *args), capture_output=True, text=True, env=env)


def trained(work):
    """Cell id -> mtime of its PLY (per-cell jobs: trained/splats/CELL/CELL.ply)."""
    return {p.stem: p.stat().st_mtime_ns for p in (work / "results" / "trained" / "splats").glob("*/*.ply")}


def test_widening_the_neighbourhood_trains_only_the_new_cells(tmp_path):
    configure(tmp_path, select=BRIGHT_STAR_CELLS)
    assert snakemake(tmp_path).returncode == 0
    before = trained(tmp_path)
    configure(tmp_path, select={**BRIGHT_STAR_CELLS, "neighbors": 1})
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr
    after = trained(tmp_path)
    new = set(after) - set(before)
    assert new and set(before) <= set(after)
    assert all(after[c] == before[c] for c in before)  # old cells untouched
    ran = result.stderr.count("rule train_splats:")
    assert ran == len(new)
    for rule in ("trained_index", "pack_shard", "pack_index", "validate_shard", "report_shard", "report", "validate"):
        assert f"rule {rule}:" in result.stderr


def test_two_clean_runs_give_the_same_bytes(tiny_starfield_run, tiny_starfield_run_without_node):
    """The session's two runs of one config from scratch (the second on a machine without Node, which only leaves out
    the web site, not compared here) write the same bytes."""
    runs = [tiny_starfield_run.results, tiny_starfield_run_without_node.results]
    files = ["universe/index.json", "ingest_summary.json", "selection.json", "trained/index.json", "trained/pack/index.json",
             "trained/pack/shard-0000.pack.bin"]
    files += [str(p.relative_to(runs[0])) for p in (runs[0] / "trained" / "splats").glob("*/*.ply")]
    files += [str(p.relative_to(runs[0])) for p in (runs[0] / "universe" / "cells").glob("*/*.parquet")]
    assert len(files) > 10
    for name in files:
        assert (runs[0] / name).read_bytes() == (runs[1] / name).read_bytes(), name


def test_killed_run_resumes(tmp_path):
    configure(tmp_path, select=BRIGHT_STAR_CELLS, train={**TINY_TRAIN, "iterations": 150})
    process = subprocess.Popen(snakemake_command(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    cells = tmp_path / "results" / "trained" / "splats"
    while time.monotonic() < deadline and len(list(cells.glob("*/*.ply"))) < 2:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)  # the whole job tree, mid-training
    process.wait()
    assert time.monotonic() < deadline, "no two cells trained in 300 s"
    assert not (tmp_path / "results" / "validation.json").exists()
    # The documented resume: a killed Snakemake leaves its lock; unlock, then run again (the default
    # profile has rerun-incomplete, so half-written outputs of the killed jobs are redone).
    assert snakemake(tmp_path, "--unlock").returncode == 0
    result = snakemake(tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "results" / "validation.json").read_text())["ok"]
    leftovers = [p for p in (tmp_path / "results").rglob("*") if ".tmp-" in p.name]
    assert not leftovers


def checkout(tmp_path):
    """A copy of the workflow and its helios/ (Snakemake puts the Snakefile's directory first on sys.path)."""
    copy = tmp_path / "checkout"
    copy.mkdir()
    for name in ("Snakefile", "workflow", "config", "profiles", "helios"):
        source = REPO / name
        (shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__")) if source.is_dir()
         else shutil.copy(source, copy / name))
    (copy / "client").symlink_to(REPO / "client")  # the web client and its npm install, as they are
    return copy


FAIL_ONCE = """
def fail_once(cell):  # injected by the test: the first attempt at each cell (one job each) fails
    marker = Path({markers!r}) / cell
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
        raise RuntimeError(f"injected transient failure for cell {{cell}}")


if "snakemake" in globals():
    fail_once(snakemake.wildcards.batch)  # noqa: F821
"""


def test_transient_failures_succeed_with_retries(tmp_path):
    copy = checkout(tmp_path)
    script = copy / "workflow" / "scripts" / "train_splats.py"
    markers = tmp_path / "failed-once"
    guard = '\nif "snakemake" in globals():'
    script.write_text("from pathlib import Path\n" + script.read_text().replace(guard, FAIL_ONCE.format(markers=str(markers)) + guard, 1))
    work = tmp_path / "work"
    work.mkdir()
    configure(work, select=BRIGHT_STAR_CELLS)
    command = [sys.executable, "-m", "snakemake", "-s", str(copy / "Snakefile"), "--directory", str(work),
               "--configfile", str(work / "config.yaml"), "--cores", "2"]
    without = subprocess.run(command, capture_output=True, text=True)
    assert without.returncode != 0 and "injected transient failure" in without.stderr
    for marker in markers.glob("*"):
        marker.unlink()
    result = subprocess.run([*command, "--retries", "1"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len(list(markers.glob("*"))) == len(trained(work))
    assert json.loads((work / "results" / "validation.json").read_text())["ok"]


def test_job_knobs_rerun_nothing(tiny_starfield_run, tmp_path):
    """Threads, memory, runtime, GPU sharing and the extensions' directory change how jobs run, not what they make
    (on a copy of the session's seed-trainer run)."""
    work = tiny_starfield_run.copy(tmp_path / "work")
    config = yaml.safe_load((work / "config.yaml").read_text())
    assert planned_jobs(snakemake_command(work)) == {}
    reconfigure(work, train_jobs={"threads": 2, "mem_mb": 3000, "runtime_min": 5, "slots_per_gpu": 3, "extensions_dir": "elsewhere",
                                  "startup_timing": True})
    assert planned_jobs(snakemake_command(work)) == {}
    reconfigure(work, train_jobs=config["train_jobs"], train={**config["train"], "iterations": 9})
    assert planned_jobs(snakemake_command(work)).get("train_splats", 0) >= 1
    reconfigure(work, train=config["train"], epoch=12016.0)  # the stars move: everything from ingest on
    planned = planned_jobs(snakemake_command(work))
    assert planned.get("ingest_part") == 1 and planned.get("partition_plan") == 1, planned


def test_diverged_cells_fail_validation_unless_allowed(tiny_starfield_run, tmp_path):
    """On a copy of the session's seed-trainer run, a learning rate that diverges: the training (and what follows) reruns."""
    work = tiny_starfield_run.copy(tmp_path / "work")
    train = {**yaml.safe_load((work / "config.yaml").read_text())["train"], "iterations": 30, "learning_rate": 1e30, "curve_every": 5}
    reconfigure(work, train=train)
    result = snakemake(work)
    assert result.returncode != 0 and "diverged cells" in (work / "logs" / "gather" / "check_validation.log").read_text()
    validation = json.loads((work / "results" / "validation.json").read_text())
    trained_index = json.loads((work / "results" / "trained" / "index.json").read_text())
    diverged = [c["id"] for c in trained_index["cells"] if c["status"] == "diverged"]
    assert diverged and not validation["ok"] and validation["summary"]["cells"]["diverged"] == len(diverged)
    check = next(c for c in validation["checks"] if c["name"] == "diverged cells")
    assert not check["ok"] and diverged[0] in check["detail"]
    # Allowed by config: only the validation and what shows it rerun; the diverged cells pass, but with every
    # cell diverged nothing was trained, and that still fails.
    reconfigure(work, validate={**yaml.safe_load((work / "config.yaml").read_text())["validate"], "allow_diverged": True})
    assert set(planned_jobs(snakemake_command(work))) == {"validate", "report", "check_validation", "all"}
    assert snakemake(work).returncode != 0
    checks = {c["name"]: c for c in json.loads((work / "results" / "validation.json").read_text())["checks"]}
    assert checks["diverged cells"]["ok"] and "allowed by validate.allow_diverged" in checks["diverged cells"]["detail"]
    if len(diverged) == len(trained_index["cells"]):
        assert not checks["loss reduction"]["ok"] and "no trained cell" in checks["loss reduction"]["detail"]


SELECT_AND_GATHER = {"select": 1, "trained_index": 1, "pack_shard": 1, "pack_index": 1, "validate_shard": 1, "site": 1,
                     "report_shard": 1, "report": 1, "validate": 1, "check_validation": 1, "all": 1}


def test_a_package_change_reruns_the_rules_that_use_it(tiny_starfield_run, tmp_path):
    """Rules carry a hash of the helios modules they import: editing one reruns exactly its users.

    Snakemake puts the Snakefile's directory first on sys.path, so a copy of the
    workflow with its own helios/ runs that copy: edits to it are what is tested.
    The copy's code is the work tree's, so on a copy of the session's seed-trainer run it has nothing to do.
    """
    copy = checkout(tmp_path)
    work = tiny_starfield_run.copy(tmp_path / "work")
    command = snakemake_command(work, snakefile=copy / "Snakefile")
    env = {**os.environ, "HELIOS_CLIENT": str(REPO / "client")}  # the site's inputs: the client files the run's site was made of

    def run():
        return subprocess.run(command, capture_output=True, text=True, env=env)

    assert planned_jobs(command, env) == {}
    with open(copy / "helios" / "report.py", "a") as handle:
        handle.write("\n# an edit\n")
    assert planned_jobs(command, env) == {"report_shard": 1, "report": 1, "check_validation": 1, "all": 1}
    # A kernel source is code too: build_cuda_extensions rebuilds it before the jobs that use it rerun.
    kernel = copy / "helios" / "seed" / "accel" / "csrc" / "fused_ssim.cu"
    original = kernel.read_text()
    kernel.write_text(original + "\n// an edit\n")
    plan = planned_jobs(command, env)
    assert plan.get("build_cuda_extensions") == 1 and plan.get("train_splats", 0) >= 1 and "select" not in plan, plan
    kernel.write_text(original)
    assert planned_jobs(command, env) == {"report_shard": 1, "report": 1, "check_validation": 1, "all": 1}
    with open(copy / "helios" / "landmarks.py", "a") as handle:
        handle.write("\n# an edit\n")
    assert planned_jobs(command, env) == SELECT_AND_GATHER
    # Data files are code too: the built-in landmarks rerun select, the blackbody table ingest.
    assert run().returncode == 0
    with open(copy / "helios" / "data" / "landmarks.json", "a") as handle:
        handle.write("\n")
    assert planned_jobs(command, env) == SELECT_AND_GATHER
    assert run().returncode == 0
    with open(copy / "helios" / "data" / "blackbody_linear_srgb.csv", "a") as handle:
        handle.write("\n")
    plan = planned_jobs(command, env)
    assert plan.get("ingest_part") == 1 and plan.get("partition_plan") == 1, plan


def reversed_keys(value):
    """``value`` with the keys of every mapping in it in reverse order (the same values)."""
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


@pytest.mark.parametrize("run", ["tiny_starfield_run", "tiny_levels_run"])  # by name: one shared run per test (tests/conftest.py)
def test_reordering_the_config_keys_reruns_nothing(request, tmp_path, run):
    """Params are canonical (sorted keys): the same config with its keys in another order is the same run;
    only a changed value reruns.  On a copy of the session's run of the product."""
    work = request.getfixturevalue(run).copy(tmp_path / "work")
    ground_truth = "levels" if run == "tiny_levels_run" else "starfield"
    command = snakemake_command(work)
    config = yaml.safe_load((work / "config.yaml").read_text())
    # More keys to reorder, each at its default (the config schema's): the config of the run.
    config = {**config, "catalog": {**config["catalog"], "max_mag": None, "parallax_policy": "edsd", "min_parallax_over_error": 5.0},
              "select": {**config["select"], "neighbors": 1, "categories": []}, "validate": {**config["validate"], "allow_diverged": False}}
    (work / "config.yaml").write_text(yaml.safe_dump(config))  # keys sorted at every level
    assert planned_jobs(command) == {}
    (work / "config.yaml").write_text(yaml.safe_dump(reversed_keys(config), sort_keys=False))
    assert yaml.safe_load((work / "config.yaml").read_text()) == config
    dry = subprocess.run([*command, "-n"], capture_output=True, text=True)
    assert dry.returncode == 0 and "Nothing to be done" in dry.stdout + dry.stderr, dry.stdout + dry.stderr
    # The controls: one changed value reruns its jobs (the trainer's options: the training; the grid: from
    # the partition on, the jobs past the select checkpoint planned once it has run).
    section, trainer = ("levels", "train_levels") if ground_truth == "levels" else ("train", "train_splats")
    changed = reversed_keys({**config, section: {**config[section], "iterations": 9}})
    (work / "config.yaml").write_text(yaml.safe_dump(changed, sort_keys=False))
    plan = planned_jobs(command)
    assert plan.get(trainer, 0) >= 1 and not {"ingest_part", "partition_count", "partition_plan", "select"} & set(plan), plan
    changed = reversed_keys({**config, "grid": {**config["grid"], "base": 12.0}})
    (work / "config.yaml").write_text(yaml.safe_dump(changed, sort_keys=False))
    plan = planned_jobs(command)
    assert plan.get("partition_count") == 1 and plan.get("partition_plan") == 1 and "ingest_part" not in plan, plan


# A scattered partition in little: 12,000 stars in 2 parts, cells of at most 800 stars, shards of at most 2,000.
PARTITION_RUN = {"output_dir": "results", "catalog": {"files": [], "synthetic": {"stars": 12_000, "parts": 2, "seed": 4, "model": "milky-way"},
                                                      "ref_epoch": 2016.0},
                 "grid": {"max_stars": 800}, "partition": {"shard_rows": 2000}}


def universe_bytes(work):
    """Path -> bytes of the universe a run made (its index, plan, summary and every cell file)."""
    results = work / "results"
    files = [results / "universe" / "index.json", results / "partition" / "plan.json", results / "ingest_summary.json"]
    files += sorted((results / "universe" / "cells").rglob("*.parquet"))
    return {str(path.relative_to(results)): path.read_bytes() for path in files}


def test_a_partition_killed_in_its_split_or_its_reduce_resumes_to_the_same_bytes(tmp_path):
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "config.yaml").write_text(yaml.safe_dump(PARTITION_RUN))
    assert snakemake(reference, "--until", "partition_index").returncode == 0
    expected = universe_bytes(reference)
    assert len([name for name in expected if name.endswith(".parquet")]) > 10
    for stage, sign in (("split", "partition/split/*"), ("reduce", "universe/cells/shard-*")):
        work = tmp_path / stage
        work.mkdir()
        (work / "config.yaml").write_text(yaml.safe_dump(PARTITION_RUN))
        process = subprocess.Popen(snakemake_command(work, "--until", "partition_index"), stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not list((work / "results").glob(sign)) and process.poll() is None:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the whole job tree, once the first of the stage's outputs is there
        process.wait()
        assert list((work / "results").glob(sign)), f"the run ended before its {stage}"
        assert not (work / "results" / "universe" / "index.json").exists(), f"killed too late to test the {stage}"
        assert snakemake(work, "--unlock").returncode == 0
        result = snakemake(work, "--until", "partition_index")
        assert result.returncode == 0, result.stderr[-3000:]
        assert universe_bytes(work) == expected, stage
        assert not [p for p in (work / "results").rglob("*") if "tmp-helios" in p.name or ".helios-partition-" in p.name]
