import json
import os

from snakemake.logging import logger
from snakemake.utils import validate

from helios.batching import plan_jobs
from helios.trained_index import config_hash
from helios.inputs import SYNTHETIC_PART, expand_catalog_files, part_name
from helios.products import product
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
        sky = {"kind": "synthetic", "stars": synthetic["stars"], "seed": synthetic.get("seed", 0), "model": synthetic.get("model", "disc")}
        parts = synthetic.get("parts", 1)
        if parts == 1:
            return {SYNTHETIC_PART: sky}
        return {f"{SYNTHETIC_PART}-{part:04d}": {**sky, "part": part, "parts": parts} for part in range(parts)}
    return {part_name(path): {"kind": "file", "path": path} for path in expand_catalog_files(CATALOG["files"])}


SOURCES = catalog_sources() if config["universe_dir"] is None else {}

INGEST_OPTIONS = {
    **{key: value for key, value in CATALOG.items() if key not in ("files", "synthetic")},
    "epoch": config["epoch"],
}


def part_input(wildcards):
    source = SOURCES[wildcards.part]
    return [source["path"]] if source["kind"] == "file" else []


def mpcorb_input(wildcards):
    """The MPCORB file the minor planets are read from (none for the embedded ones)."""
    mpcorb = config["solar_system"]["mpcorb"]
    return [] if mpcorb in (None, "builtin") else [mpcorb]


def minor_planets_input(wildcards):
    """The pack's minor planets, when the config asks for any."""
    return [] if config["solar_system"]["mpcorb"] is None else [f"{OUT}/trained/pack/minor_planets.bin"]


def landmarks_input(wildcards):
    landmarks = config["select"]["landmarks"]
    return [] if landmarks == "builtin" or config["select"]["mode"] == "all" else [landmarks]


# What each cell is trained to (the rules' params: an edit retrains) and how the training jobs run (not params).
TRAIN = config["train"]
LEVELS = config["levels"]
# The product a selected cell becomes (train.ground_truth; helios/products.py): its rule trains a batch of
# cells per job (workflow/rules/levels.smk, splats.smk), one cell per job unless train_jobs.batch_cells > 1.
PRODUCT = product(TRAIN["ground_truth"])
PRODUCT.check_config(config)
# Its module: part of the code version of every gather step that asks it.
PRODUCT_MODULE = type(PRODUCT).__module__
JOBS = config["train_jobs"]
BATCH_CELLS = JOBS["batch_cells"]
# GPUs each training job asks for; a job uses CUDA only when it was given a GPU. Nothing here depends on the
# machine that runs Snakemake (a login node without GPUs submits GPU jobs all the same).
GPUS_PER_JOB = JOBS["gpus"] if JOBS["gpus"] is not None else PRODUCT.default_gpus(config)
USE_GPU = GPUS_PER_JOB > 0
# A training job's name: its cell's id, or its batch's (s06-000).
JOB_NAME = r"\d+_\d+_\d+(-[0-7]+)?|s\d+-\d+"


_SELECTIONS = {}


def selection():
    """The selection document (the select checkpoint's output); read once per version of it."""
    path = checkpoints.select.get().output[0]
    key = (path, os.stat(path).st_mtime_ns)
    if key not in _SELECTIONS:
        with open(path) as handle:
            document = json.load(handle)
        jobs = plan_jobs(document["cells"], BATCH_CELLS, JOBS["batch_class_width"])
        _SELECTIONS[key] = (jobs, {cell["id"]: cell["file"] for cell in document["cells"]})
    return _SELECTIONS[key]


def batch_plan(wildcards):
    """Training job name -> its cell ids (helios.batching.plan_jobs)."""
    return selection()[0]


def job_cells(wildcards):
    """The cell files of one training job (a cell's file is named in the universe index, cells/SHARD/CELL.parquet)."""
    files = selection()[1]
    return [f"{UNIVERSE}/{files[cell]}" for cell in batch_plan(wildcards)[wildcards.batch]]


# The partition (workflow/rules/partition.smk): the parts in catalogue order, and the limit's threshold file.
PARTS = list(SOURCES)
PARTITION = config["partition"]
LIMIT_FILE = [f"{OUT}/partition/limit.json"] if CATALOG["limit"] else []


def plan_shards(wildcards):
    """The shard ids of the partition's plan (known once the plan checkpoint has run)."""
    with open(checkpoints.partition_plan.get().output[0]) as handle:
        return [shard["id"] for shard in json.load(handle)["shards"]]


def universe_shards(wildcards):
    """The universe's shards: from the partition's plan (a checkpoint), or the index of a universe given."""
    if config["universe_dir"] is not None:
        with open(f"{UNIVERSE}/index.json") as handle:
            return [shard["id"] for shard in json.load(handle)["shards"]]
    return plan_shards(wildcards)


def trained_outputs(wildcards):
    return expand(f"{OUT}/trained/{PRODUCT.folder}/{{batch}}", batch=batch_plan(wildcards))


def trained_cell_files(wildcards):
    """Cell id -> its outputs' path stem under trained/."""
    return {cell: PRODUCT.stem(batch, cell) for batch, cells in batch_plan(wildcards).items() for cell in cells}


# What trained outputs were made from (recorded in trained/index.json).
CONFIG_HASH = config_hash(
    {
        "catalog": config["catalog"],
        "epoch": config["epoch"],
        "grid": config["grid"],
        "select": config["select"],
        **PRODUCT.trained_from(config),
    }
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
    built = [f"{OUT}/ingest_summary.json", f"{OUT}/universe/index.json"]
    site = [] if SITE_SKIPPED else [f"{OUT}/site"]
    return (
        (built if config["universe_dir"] is None else [])
        + [
            f"{OUT}/selection.json",
            f"{OUT}/trained/index.json",
            f"{OUT}/trained/pack/index.json",
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
