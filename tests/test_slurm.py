"""The workflow through the SLURM profile on a real one-node SLURM (started here, torn down after)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess

import pytest
import yaml

from helios.batching import plan_batches
from tests.conftest import REPO, TEST_CONFIG, TINY_TRAIN, StartedRun
from tests.slurm_cluster import ClusterUnavailable, start_cluster, stop_cluster

pytestmark = pytest.mark.slow
# backend auto asks SLURM for one (fake) GPU per training job, whatever the submitting machine has (no CUDA here);
# the jobs find no CUDA on the node and fall back to the CPU, as the config allows.
SLURM_TRAIN = {**TINY_TRAIN, "backend": "auto"}
SLURM_JOBS = {"cpu_fallback": True}
# The plugin checks 1 s after a job finishes, then waits 10 s longer after each check that finds none (its own rule).
SLURM_OPTIONS = ["--profile", str(REPO / "profiles" / "slurm"), "--slurm-init-seconds-before-status-checks", "1",
                 "--seconds-between-status-checks", "2", "--latency-wait", "5"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("snakemake-executor-plugin-slurm is not installed (pip install -e '.[test]')")
    scratch = tmp_path_factory.mktemp("slurm")
    try:
        env = start_cluster(scratch)
    except ClusterUnavailable as exc:
        pytest.skip(f"cannot start a one-node SLURM cluster here: {exc}")
    yield env
    stop_cluster(scratch, env)


@pytest.fixture(scope="module")
def runs(cluster, tiny_levels_run, tmp_path_factory):
    """Every run of this module, started at once: the SLURM runs' jobs share the one node (2 CPUs) as on any cluster, and
    fill the CPUs one run's serial steps (ingest, partition, the gather steps) leave idle; the local runs beside them.

    levels: .test/config.yaml through SLURM (a job per cell), against the session's local run of it.  batched: the seed
    trainer in batches (train_jobs.batch_cells 4, a GPU asked for per job) on the session's universe of .test/config.yaml.
    The seed trainer's jobs per cell are the same rule as its batches (a batch of one cell), so they are not run again
    here (a SLURM job starts Snakemake twice and Python once).
    """
    root = tmp_path_factory.mktemp("slurm-runs")
    batched = {**yaml.safe_load(TEST_CONFIG.read_text()), "universe_dir": str(tiny_levels_run.results / "universe"), "train": SLURM_TRAIN,
               "train_jobs": {**SLURM_JOBS, "batch_cells": 4}}
    started = {
        "levels": StartedRun(root / "levels" / "slurm", TEST_CONFIG, *SLURM_OPTIONS, env=cluster),
        "batched": StartedRun(root / "batched" / "slurm", batched, *SLURM_OPTIONS, env=cluster),
        "batched-local": StartedRun(root / "batched" / "local", batched, "--cores", "2"),
    }
    yield started
    for run in started.values():
        run.stop()


def slurm_jobs(cluster, result: subprocess.CompletedProcess) -> list[str]:
    """The ``scontrol show jobs`` lines of the jobs a run submitted (named by its SLURM run ID; MinJobAge 600 keeps them)."""
    run_id = re.search(r"SLURM run ID: (\S+)", result.stdout).group(1)
    lines = subprocess.run(["scontrol", "show", "jobs", "-o"], capture_output=True, text=True, env=cluster).stdout.splitlines()
    return [line for line in lines if run_id in line]


def test_slurm_levels_run_matches_a_local_run(cluster, runs, tiny_levels_run):
    """Levels (the default, .test/config.yaml): a CPU job per cell, named by it; SLURM's outputs are a local run's bytes."""
    slurm, local = runs["levels"], tiny_levels_run.results
    result = slurm.wait()
    assert result.returncode == 0, result.stdout[-4000:]
    jobs = slurm_jobs(cluster, result)
    trained = json.loads((slurm.results / "trained" / "index.json").read_text())
    train_jobs = [line for line in jobs if "rule_train_levels" in line]
    assert len(train_jobs) == trained["cell_count"] > 0
    assert all(c["file"].startswith(f"levels/{c['id']}/") for c in trained["cells"])  # a job per cell, named by it
    assert not any(re.search(r"gres[/:]gpu", line) for line in train_jobs), train_jobs[0]  # levels train on CPUs
    assert all("JobState=COMPLETED" in line for line in jobs)
    assert any("rule_partition_reduce" in line for line in jobs) and any("rule_validate_shard" in line for line in jobs)
    assert not any(re.search(r"rule_(?:validate(?!_shard)|pack_index|report)(?![a-z])", line) for line in jobs)  # local rules stay local

    files = ["universe/index.json", "ingest_summary.json", "selection.json", "trained/index.json", "trained/pack/index.json",
             "trained/pack/shard-0000.pack.bin"]
    files += [f"trained/{c['file']}" for c in trained["cells"]]
    for name in files:
        assert (local / name).read_bytes() == (slurm.results / name).read_bytes(), name
    assert json.loads((slurm.results / "validation.json").read_text())["ok"]


def test_slurm_batched_mode(cluster, runs):
    """The seed trainer with train_jobs.batch_cells > 1: one SLURM job per batch, each asking for a GPU (backend auto; the
    node has none, and the jobs fall back to the CPU); same bytes as a local batched run."""
    slurm, local = runs["batched"], runs["batched-local"]
    result, done = slurm.wait(), local.wait()
    assert result.returncode == 0, result.stdout[-4000:]
    assert done.returncode == 0, done.stdout[-4000:]
    jobs = slurm_jobs(cluster, result)
    batches = sorted(p.name for p in (slurm.results / "trained" / "splats").iterdir())
    selection = json.loads((slurm.results / "selection.json").read_text())
    assert batches == sorted(plan_batches(selection["cells"], 4, class_width=2))
    batch_jobs = [line for line in jobs if "rule_train_splats" in line]
    assert len(batch_jobs) == len(batches) > 0 and len(batches) < selection["cell_count"]  # a job per batch, none per cell
    assert all(re.search(r"gres[/:]gpu[:=]1", line) for line in batch_jobs), batch_jobs[0]
    assert all("JobState=COMPLETED" in line for line in jobs)
    trained = json.loads((slurm.results / "trained" / "index.json").read_text())
    assert all(c["file"].startswith("splats/s") for c in trained["cells"])
    for name in ["trained/index.json", "trained/pack/index.json",
             "trained/pack/shard-0000.pack.bin"] + [f"trained/{c['file']}" for c in trained["cells"]]:
        assert (local.results / name).read_bytes() == (slurm.results / name).read_bytes(), name
