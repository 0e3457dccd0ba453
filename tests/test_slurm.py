"""The workflow through the SLURM profile on a real one-node SLURM (started here, torn down after)."""

import importlib.util
import json
import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, TINY_LEVELS, TINY_TRAIN, TINY_VALIDATE
from tests.slurm_cluster import ClusterUnavailable, start_cluster, stop_cluster

pytestmark = pytest.mark.slow
# backend auto asks SLURM for one (fake) GPU per training job, whatever the submitting machine has (no CUDA here);
# the jobs find no CUDA on the node and fall back to the CPU, as the config allows.
SLURM_TRAIN = {**TINY_TRAIN, "backend": "auto"}
SLURM_JOBS = {"cpu_fallback": True}


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


def run(work, *args, env=None):
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
               "--configfile", str(work / "config.yaml"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)


@pytest.mark.parametrize("ground_truth", ["levels", "starfield"])
def test_slurm_run_matches_a_local_run(cluster, tmp_path, ground_truth):
    """Levels (the default; CPU jobs) and the seed trainer (a GPU asked for per job): SLURM's outputs are a local run's bytes."""
    config = {"output_dir": "results", "catalog": {"synthetic": {"stars": 2000, "seed": 8}}, "select": {"mode": "all"},
              "grid": {"n_theta": 2, "n_phi": 2, "base": 10.0}, "train_jobs": SLURM_JOBS}
    if ground_truth == "levels":
        config.update(levels=TINY_LEVELS, validate=TINY_VALIDATE)
    else:
        config.update(train=SLURM_TRAIN)
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    for work in (local, slurm):
        work.mkdir()
        (work / "config.yaml").write_text(yaml.safe_dump(config))
    assert run(local, "--cores", "2").returncode == 0
    result = run(slurm, "--profile", str(REPO / "profiles" / "slurm"), "--slurm-init-seconds-before-status-checks", "3",
                 "--seconds-between-status-checks", "2", "--latency-wait", "5", env=cluster)
    assert result.returncode == 0, result.stderr[-4000:]

    jobs = subprocess.run(["scontrol", "show", "jobs", "-o"], capture_output=True, text=True, env=cluster).stdout.splitlines()
    trained = json.loads((slurm / "results" / "trained" / "index.json").read_text())
    train_jobs = [line for line in jobs if ("rule_train_levels" if ground_truth == "levels" else "rule_train_cell") in line]
    assert len(train_jobs) == trained["cell_count"] > 0
    if ground_truth == "levels":  # levels train on CPUs
        assert not any(re.search(r"gres[/:]gpu", line) for line in train_jobs), train_jobs[0]
    else:
        assert all(re.search(r"gres[/:]gpu[:=]1", line) for line in train_jobs), train_jobs[0]
    assert all("JobState=COMPLETED" in line for line in jobs)
    assert any("rule_partition" in line for line in jobs) and not any("rule_validate" in line for line in jobs)  # local rules stay local

    files = ["universe/index.json", "stars.parquet", "selection.json", "trained/index.json", "trained/cells.pack.bin"]
    files += [f"trained/{c['file']}" for c in trained["cells"]]
    for name in files:
        assert (local / "results" / name).read_bytes() == (slurm / "results" / name).read_bytes(), name
    assert json.loads((slurm / "results" / "validation.json").read_text())["ok"]


def test_slurm_batched_mode(cluster, tmp_path):
    """train_jobs.batch_cells > 1: one SLURM job per batch, each asking for a GPU; same bytes as a local batched run."""
    config = {"output_dir": "results", "catalog": {"synthetic": {"stars": 2000, "seed": 8}}, "select": {"mode": "all"},
              "grid": {"n_theta": 2, "n_phi": 2, "base": 10.0}, "train": SLURM_TRAIN, "train_jobs": {**SLURM_JOBS, "batch_cells": 4}}
    local, slurm = tmp_path / "local", tmp_path / "slurm"
    for work in (local, slurm):
        work.mkdir()
        (work / "config.yaml").write_text(yaml.safe_dump(config))
    assert run(local, "--cores", "2").returncode == 0
    before = set(subprocess.run(["scontrol", "show", "jobs", "-o"], capture_output=True, text=True, env=cluster).stdout.splitlines())
    result = run(slurm, "--profile", str(REPO / "profiles" / "slurm"), "--slurm-init-seconds-before-status-checks", "3",
                 "--seconds-between-status-checks", "2", "--latency-wait", "5", env=cluster)
    assert result.returncode == 0, result.stderr[-4000:]
    jobs = [line for line in subprocess.run(["scontrol", "show", "jobs", "-o"], capture_output=True, text=True, env=cluster).stdout.splitlines()
            if line not in before]
    batches = sorted(p.name for p in (slurm / "results" / "trained" / "batches").iterdir())
    batch_jobs = [line for line in jobs if "rule_train_batch" in line]
    assert len(batch_jobs) == len(batches) > 0 and not any("rule_train_cell" in line for line in jobs)
    assert all(re.search(r"gres[/:]gpu[:=]1", line) for line in batch_jobs), batch_jobs[0]
    trained = json.loads((slurm / "results" / "trained" / "index.json").read_text())
    assert all(c["file"].startswith("batches/") for c in trained["cells"])
    for name in ["trained/index.json", "trained/cells.pack.bin"] + [f"trained/{c['file']}" for c in trained["cells"]]:
        assert (local / "results" / name).read_bytes() == (slurm / "results" / name).read_bytes(), name
