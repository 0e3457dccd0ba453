import json
import os

from snakemake.logging import logger
from snakemake.utils import validate

from helios.batching import plan_batches
from helios.trained_index import config_hash
from helios.inputs import SYNTHETIC_PART, expand_catalog_files, part_name
from helios.provenance import code_version

validate(config, workflow.source_path("../../config/config.schema.yaml"))


def canonical(value):
    """``value`` with the keys of every mapping in it sorted (lists keep their order).

    Snakemake compares a rule's params with the last run's by their repr, and a dict's repr follows its
    key order: every params value holding a mapping goes through this, so that a config whose keys are
    only reordered (the same values) reruns nothing and a changed value reruns its jobs.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, tuple):
        return tuple(canonical(item) for item in value)
    return value


OUT = config["output_dir"]
CATALOG = config["catalog"]
# The universe the cells come from: built here from the catalogue, or given (helios train-all / train-landmarks).
UNIVERSE = config["universe_dir"] or f"{OUT}/universe"


def catalog_sources():
    """Part name -> source description, in the order that defines file_index."""
    if CATALOG["synthetic"] is not None:
        if CATALOG["files"]:
            raise ValueError("config: give either catalog.files or catalog.synthetic, not both")
        synthetic = CATALOG["synthetic"]
        return {
            SYNTHETIC_PART: {
                "kind": "synthetic",
                "stars": synthetic["stars"],
                "seed": synthetic.get("seed", 0),
                "model": synthetic.get("model", "disc"),
            }
        }
    return {part_name(path): {"kind": "file", "path": path} for path in expand_catalog_files(CATALOG["files"])}


SOURCES = catalog_sources() if config["universe_dir"] is None else {}

INGEST_OPTIONS = {
    **{key: value for key, value in CATALOG.items() if key not in ("files", "synthetic")},
    "epoch": config["epoch"],
}


def part_input(wildcards):
    source = SOURCES[wildcards.part]
    return [source["path"]] if source["kind"] == "file" else []


def landmarks_input(wildcards):
    landmarks = config["select"]["landmarks"]
    return [] if landmarks == "builtin" or config["select"]["mode"] == "all" else [landmarks]


# What each cell is trained to (the rules' params: an edit retrains) and how the training jobs run (not params).
TRAIN = config["train"]
LEVELS = config["levels"]
# ground_truth levels: each selected cell's levels of detail (rule train_levels, one job per cell, or
# train_levels_batch, batch_cells cells a job); otherwise the seed trainer's splats (rules train_cell /
# train_batch, with the train: section).
LEVELS_MODE = TRAIN["ground_truth"] == "levels"
JOBS = config["train_jobs"]
BATCH_CELLS = JOBS["batch_cells"]
if BATCH_CELLS > 1 and not LEVELS_MODE and TRAIN["densify_until"] > TRAIN["densify_from"]:
    raise ValueError(
        f"config: train_jobs.batch_cells {BATCH_CELLS} trains cells in batches, which cannot densify, but train.densify_until "
        f"{TRAIN['densify_until']} > train.densify_from {TRAIN['densify_from']}: set train.densify_until: 0, or train_jobs.batch_cells: 1"
    )


# GPUs each training job asks for; a job uses CUDA only when it was given a GPU. Nothing here depends on the
# machine that runs Snakemake (a login node without GPUs submits GPU jobs all the same).
GPUS_PER_TRAIN_JOB = JOBS["gpus"] if JOBS["gpus"] is not None else int(TRAIN["backend"] != "torch")
USE_GPU = GPUS_PER_TRAIN_JOB > 0
# Level jobs run on the CPU unless train_jobs.gpus gives them GPUs (they were built and measured there).
GPUS_PER_LEVEL_JOB = JOBS["gpus"] or 0


def selected_cells(wildcards):
    """Cell ids chosen by the select checkpoint."""
    with open(checkpoints.select.get().output[0]) as handle:
        return [cell["id"] for cell in json.load(handle)["cells"]]


_BATCH_PLANS = {}


def batch_plan(wildcards):
    """Batch name -> cell ids (batched mode, train_jobs.batch_cells > 1); read once per version of the selection."""
    path = checkpoints.select.get().output[0]
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _BATCH_PLANS:
        with open(path) as handle:
            _BATCH_PLANS[key] = plan_batches(json.load(handle)["cells"], BATCH_CELLS, JOBS["batch_class_width"])
    return _BATCH_PLANS[key]


def trained_outputs(wildcards):
    if LEVELS_MODE and BATCH_CELLS > 1:
        return expand(f"{OUT}/trained/level_batches/{{batch}}", batch=batch_plan(wildcards))
    if LEVELS_MODE:
        cells = selected_cells(wildcards)
        return expand(f"{OUT}/trained/levels/{{cell}}.levels.parquet", cell=cells) + expand(f"{OUT}/trained/levels/{{cell}}.levels.json", cell=cells)
    if BATCH_CELLS > 1:
        return expand(f"{OUT}/trained/batches/{{batch}}", batch=batch_plan(wildcards))
    cells = selected_cells(wildcards)
    return expand(f"{OUT}/trained/cells/{{cell}}.ply", cell=cells) + expand(f"{OUT}/trained/cells/{{cell}}.json", cell=cells)


def trained_cell_files(wildcards):
    """Cell id -> its outputs' path stem under trained/, when batched (per-cell outputs need none)."""
    if BATCH_CELLS == 1:
        return {}
    folder = "level_batches" if LEVELS_MODE else "batches"
    return {cell: f"{folder}/{batch}/{cell}" for batch, cells in batch_plan(wildcards).items() for cell in cells}


# What trained outputs were made from (recorded in trained/index.json).
# Levels depend on the train: section's seed only (its other keys are the splat trainer's).
TRAINED_FROM = {"train": {"ground_truth": "levels", "seed": TRAIN["seed"]}, "levels": LEVELS} if LEVELS_MODE else {"train": TRAIN}
CONFIG_HASH = config_hash(
    {"catalog": config["catalog"], "epoch": config["epoch"], "grid": config["grid"], "select": config["select"], **TRAINED_FROM}
)


def site_skipped_because():
    """Why the planetarium site cannot be built here (the client's npm install is missing, as on a cluster's
    login node without Node), or None; the rest of the workflow runs either way."""
    from helios.site import SiteError, client_files

    try:
        client_files()
    except SiteError as exc:
        return str(exc)
    return None


SITE_SKIPPED = site_skipped_because()
if SITE_SKIPPED and workflow.is_main_process:
    logger.warning(
        f"HELIOS: the web site is skipped, everything else is built ({SITE_SKIPPED}). "
        f"To make it: npm ci --prefix client, then run snakemake again (or: helios site {OUT} --output {OUT}/site)"
    )


def final_targets():
    built = [f"{OUT}/stars.parquet", f"{OUT}/ingest_summary.json", f"{OUT}/universe/index.json"]
    site = [] if SITE_SKIPPED else [f"{OUT}/site"]
    return (
        (built if config["universe_dir"] is None else [])
        + [
            f"{OUT}/selection.json",
            f"{OUT}/trained/index.json",
            f"{OUT}/trained/cells.pack.bin",
            f"{OUT}/report/report.html",
            f"{OUT}/validation.json",
            f"{OUT}/validation.ok",
        ]
        + site
    )


def site_client_files(wildcards):
    """The client's files a site copies (client/: the page, its modules, three.js from npm ci --prefix client)."""
    from helios.site import client_files

    return [str(path) for path in client_files().values()]
