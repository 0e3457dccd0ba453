"""Run the workflow's training and gather on a universe built before (``helios train-all`` / ``train-landmarks``).

The command line's way into the Snakemake workflow (through Snakemake's API):
the universe directory of ``helios build`` is the input (config key
``universe_dir``), the output directory is the working directory (``trained/``,
``report/``, ``selection.json``, ``validation.json``, ``logs/`` and Snakemake's
``.snakemake/`` land there; it must be new, empty or an earlier such run), and the settings are the workflow's default config
overlaid with the command's options, written to ``OUTPUT/helios-config.yaml``
so that ``snakemake --configfile OUTPUT/helios-config.yaml`` reruns the same.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from helios.errors import HeliosError
from helios.outputs import claim_directory, directory_kind, write_marker

REPO_ROOT = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO_ROOT / "Snakefile"
DEFAULT_CONFIG = REPO_ROOT / "config" / "config.yaml"
CONFIG_NAME = "helios-config.yaml"
#: The kind of output directory a run of ``train-all`` / ``train-landmarks`` is (:mod:`helios.outputs`): Snakemake
#: works in it incrementally, so it is claimed (new, empty or marked) rather than replaced.
TRAINING_RUN_KIND = "training-run"


def default_config() -> dict[str, Any]:
    """The workflow's default config (``config/config.yaml``)."""
    _check_workflow()
    return yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))


def workflow_present() -> bool:
    """Whether the Snakefile and the default config lie beside the package (a source checkout, ``pip install -e .``)."""
    return SNAKEFILE.is_file() and DEFAULT_CONFIG.is_file()


def _check_workflow() -> None:
    if not workflow_present():
        raise HeliosError(f"the workflow (Snakefile, config/config.yaml) is not next to the helios package in {REPO_ROOT}: "
                          "install HELIOS from its source tree (pip install -e .) to run it from the command line")


def run_training(universe_dir: str | Path, output_dir: str | Path, select: dict[str, Any], train: dict[str, Any],
                 cores: int, train_jobs: dict[str, Any] | None = None, dry_run: bool = False) -> dict[str, Any] | None:
    """Select, train and gather the cells of ``universe_dir`` into ``output_dir``; the validation result (None for a dry run).

    ``select``: the config's ``select:`` keys to set (mode, landmarks, neighbors, categories); ``train``:
    the config's ``train:`` keys to set; ``train_jobs``: likewise.
    """
    _check_workflow()
    universe = Path(universe_dir).resolve()
    if not (universe / "index.json").is_file() or not (universe / "cells").is_dir():
        raise HeliosError(f"{universe_dir}: not a universe built by `helios build` (it needs index.json and cells/)")
    output = claim_directory(output_dir, TRAINING_RUN_KIND, inputs=[universe])
    output.mkdir(parents=True, exist_ok=True)
    if directory_kind(output) is None:
        write_marker(output, TRAINING_RUN_KIND)
    overlay = {"output_dir": str(output), "universe_dir": str(universe), "select": dict(select), "train": dict(train),
               "train_jobs": dict(train_jobs or {})}
    if isinstance(overlay["select"].get("landmarks"), (str, Path)) and overlay["select"]["landmarks"] != "builtin":
        overlay["select"]["landmarks"] = str(Path(overlay["select"]["landmarks"]).resolve())
    config_file = output / CONFIG_NAME
    rerun = f"snakemake -s {SNAKEFILE} --directory {output} --configfile {DEFAULT_CONFIG} {config_file} --cores N"
    config_file.write_text(f"# Written by helios; the same run again: {rerun}\n" + yaml.safe_dump(overlay, sort_keys=False),
                           encoding="utf-8")
    _snakemake(output, [DEFAULT_CONFIG, config_file], cores, dry_run)
    if dry_run:
        return None
    return json.loads((output / "validation.json").read_text(encoding="utf-8"))


def _snakemake(workdir: Path, configfiles: list[Path], cores: int, dry_run: bool) -> None:
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, DAGSettings, ExecutionSettings, OutputSettings, ResourceSettings

    try:
        with SnakemakeApi(OutputSettings(dryrun=dry_run, show_failed_logs=True)) as api:
            workflow = api.workflow(resource_settings=ResourceSettings(cores=cores), config_settings=ConfigSettings(configfiles=configfiles),
                                    snakefile=SNAKEFILE, workdir=workdir)
            dag = workflow.dag(dag_settings=DAGSettings())
            if dry_run:
                dag.execute_workflow(executor="dryrun")
            else:
                dag.execute_workflow(execution_settings=ExecutionSettings(keep_going=False))
    except Exception as exc:  # Snakemake reports the failing job and its log itself
        raise HeliosError(f"the workflow failed in {workdir} ({type(exc).__name__}: {exc}); see the logs under {workdir / 'logs'}") from None
