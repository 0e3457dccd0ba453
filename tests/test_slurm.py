"""The workflow through the SLURM profile on a real one-node SLURM (started here, torn down after)."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys

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


# A synthetic Milky Way in 2 parts, cut into cells of at most 1,000 stars and shards of at most 4,000: a scattered
# partition of 8 shards (the jobs' start, not their stars, is what the cluster spends its time on: each SLURM job starts
# Snakemake twice, about 6 CPU-seconds, so no more jobs than the test needs).
PARTITION_CONFIG = {"catalog": {"files": [], "synthetic": {"stars": 30_000, "parts": 2, "seed": 3, "model": "milky-way"},
                                "ref_epoch": 2016.0},
                    "grid": {"max_stars": 1000}, "partition": {"shard_rows": 4000}}


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

    levels: .test/config.yaml through SLURM (a job per cell) on the universe of the session's local run of it, against
    that run (the partition's jobs on SLURM are the partition run's).  batched: the seed trainer in batches
    (train_jobs.batch_cells 4, a GPU asked for per job) on the same universe.
    The seed trainer's jobs per cell are the same rule as its batches (a batch of one cell), so they are not run again
    here (a SLURM job starts Snakemake twice and Python once).
    """
    root = tmp_path_factory.mktemp("slurm-runs")
    levels = {**yaml.safe_load(TEST_CONFIG.read_text()), "universe_dir": str(tiny_levels_run.results / "universe")}
    batched = {**levels, "train": SLURM_TRAIN, "train_jobs": {**SLURM_JOBS, "batch_cells": 4}}
    started = {
        "partition": StartedRun(root / "partition" / "slurm", PARTITION_CONFIG, *SLURM_OPTIONS, "--until", "partition_index", env=cluster),
        "partition-local": StartedRun(root / "partition" / "local", PARTITION_CONFIG, "--cores", "2", "--until", "partition_index"),
        "levels": StartedRun(root / "levels" / "slurm", levels, *SLURM_OPTIONS, env=cluster),
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
    """Levels (the default, .test/config.yaml) on the local run's universe: a CPU job per cell, named by it; SLURM's
    outputs are the local run's bytes."""
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
    assert all(any(f"rule_{rule}" in line for line in jobs) for rule in ("pack_shard", "validate_shard", "report_shard"))
    assert not any(re.search(r"rule_(?:validate|pack_index|report)(?![a-z_])", line) for line in jobs)  # local rules stay local

    files = ["selection.json", "trained/index.json", "trained/pack/index.json", "trained/pack/shard-0000.pack.bin"]
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


def test_a_scattered_partition_on_slurm_gives_the_local_bytes(cluster, runs):
    """The partition's jobs (a count and a split per part, a reduce per shard) as SLURM jobs, each under the memory it
    declares (the cluster kills a job over it): the same cells, byte for byte, as the local run."""
    slurm, local = runs["partition"], runs["partition-local"]
    result, done = slurm.wait(), local.wait()
    assert result.returncode == 0, result.stdout[-3000:]
    assert done.returncode == 0, done.stdout[-3000:]
    jobs = slurm_jobs(cluster, result)
    index = json.loads((slurm.results / "universe" / "index.json").read_text())
    assert len(index["shards"]) >= 8 and max(c["star_count"] for c in index["cells"]) <= 1000
    assert sum("rule_partition_reduce" in line for line in jobs) == len(index["shards"])
    assert sum("rule_partition_split" in line for line in jobs) == sum("rule_partition_count" in line for line in jobs) == 2
    assert all("JobState=COMPLETED" in line for line in jobs)
    files = ["universe/index.json", "ingest_summary.json", "partition/plan.json"] + [f"universe/{c['file']}" for c in index["cells"]]
    for name in files:
        assert (slurm.results / name).read_bytes() == (local.results / name).read_bytes(), name


def test_a_job_over_its_memory_fails_visibly(cluster, tmp_path):
    """A rule that declares 200 MB and holds 768 MB is killed by the cluster and the run fails naming it; the same
    rule declaring 2,000 MB runs (so the check can pass)."""
    hog = "python3 -c 'import time; b = bytearray(range(256)) * 3_000_000; time.sleep(4)'"  # 768 MB, every page written
    started = {}
    for mem_mb in (200, 2000):  # both at once: the node has a CPU for each
        work = tmp_path / str(mem_mb)
        work.mkdir()
        (work / "Snakefile").write_text(f"""rule hog:
    output: "hog.txt"
    resources: mem_mb={mem_mb}, runtime=5
    shell: "{hog} && touch {{output}}"
""")
        started[mem_mb] = subprocess.Popen([sys.executable, "-m", "snakemake", "--directory", str(work), "-s", str(work / "Snakefile"),
                                            *SLURM_OPTIONS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cluster, cwd=work)
    outcomes = {}
    for mem_mb, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        outcomes[mem_mb] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    failed, passed = outcomes[200], outcomes[2000]
    assert passed.returncode == 0, passed.stderr[-3000:]
    assert failed.returncode != 0 and "Error in rule hog" in failed.stderr, failed.stderr[-3000:]
    jobs = slurm_jobs(cluster, subprocess.CompletedProcess(failed.args, failed.returncode, failed.stdout + failed.stderr, ""))
    assert jobs and all(re.search(r"JobState=(OUT_OF_MEMORY|FAILED|CANCELLED)", line) for line in jobs), jobs
    assert not (tmp_path / "200" / "hog.txt").exists()
    logs = "".join(path.read_text() for path in (tmp_path / "200" / ".snakemake" / "slurm_logs").rglob("*.log"))
    assert "exceeded memory limit" in logs, logs[-2000:]  # the reason, in the job's log
