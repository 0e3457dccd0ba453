"""The levels product stands alone: with the seed trainer (helios.seed) and gsplat not importable, the default
workflow, ``helios render``, ``helios pack``, ``helios validate`` and ``helios site`` all run (issue 31); the last three
without torch as well."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, SEED_TRAINER, TEST_CONFIG, blocked_imports_env

#: Every module the levels' commands and workflow steps import at their top.
LEVELS_SIDE = ("helios.cli", "helios.lod.product", "helios.lod.report", "helios.lod.cell_job", "helios.render.sky", "helios.universe",
               "helios.pack.assembly", "helios.trained_index", "helios.validate", "helios.report", "helios.site", "helios.serve")


def run(*args: str, cwd=None, blocked: str = SEED_TRAINER) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=blocked_imports_env(blocked), cwd=cwd)


def test_the_blocker_blocks():
    for module in ("gsplat", "helios.seed", "helios.seed.training", "helios.seed.product"):
        done = run("-c", f"import {module}")
        assert done.returncode != 0 and "blocked by tests/blocked_imports" in done.stderr, module


def test_the_levels_side_imports_nothing_of_the_seed_trainer():
    code = "import sys; " + "; ".join(f"import {m}" for m in LEVELS_SIDE) + (
        "; seed = sorted(m for m in sys.modules if m.split('.')[0] == 'gsplat' or m.split('.')[:2] == ['helios', 'seed'])"
        "; assert not seed, seed")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # not blocked: nothing may even try
    assert done.returncode == 0, done.stderr


@pytest.mark.slow
def test_the_default_workflow_and_commands_run_without_the_seed_trainer(tiny_levels_run, tmp_path):
    """The session's run of .test/config.yaml ran with the seed trainer blocked (tests/conftest.py); its commands too."""
    assert tiny_levels_run.env["HELIOS_BLOCKED_IMPORTS"] == SEED_TRAINER
    results = tiny_levels_run.results
    assert (results / "validation.ok").is_file() and (results / "site" / "pack" / "index.json").is_file()
    commands = {
        "render": ["render", str(results), "--from", "0", "0", "3000", "--look-at", "sun", "--up", "1", "0", "0", "--size", "48", "32",
                   "--output", str(tmp_path / "view.png")],
        "pack": ["pack", str(results), "--output", str(tmp_path / "again")],
        "validate": ["validate", str(results), "--min-median-loss-reduction", "0"],
        "site": ["site", str(results), "--output", str(tmp_path / "site")],
    }
    for name, args in commands.items():
        # Packing, validating and writing the site read the levels without torch (its import is 2 s of each such job).
        done = run("-m", "helios.cli", *args, cwd=tmp_path, blocked=SEED_TRAINER + ("" if name == "render" else ",torch"))
        assert done.returncode == 0, (name, done.stderr[-2000:])
    for name in ("index.json", "shard-0000.pack.bin"):
        assert (tmp_path / "again" / name).read_bytes() == (results / "trained" / "pack" / name).read_bytes()
    # The block reaches the workflow: the seed trainer's product cannot even be planned under it.
    config = yaml.safe_load(TEST_CONFIG.read_text())
    config["train"]["ground_truth"] = "starfield"
    (tmp_path / "seed.yaml").write_text(yaml.safe_dump(config))
    snakemake = ["-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(tmp_path), "--cores", "2"]
    done = run(*snakemake, "--configfile", str(tmp_path / "seed.yaml"), "-n", cwd=tmp_path)
    assert done.returncode != 0 and "blocked" in done.stdout + done.stderr, (done.stdout + done.stderr)[-2000:]
