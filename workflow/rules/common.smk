from pathlib import Path

from snakemake.utils import validate

from helios.inputs import SYNTHETIC_PART, expand_catalog_files, part_name
from helios.provenance import code_version


validate(config, workflow.source_path("../../config/config.schema.yaml"))

OUT = config["output_dir"]
CATALOG = config["catalog"]


def catalog_sources():
    """Part name -> source description, in the order that defines file_index."""
    if CATALOG["synthetic"] is not None:
        if CATALOG["files"]:
            raise ValueError("config: give either catalog.files or catalog.synthetic, not both")
        synthetic = CATALOG["synthetic"]
        return {SYNTHETIC_PART: {"kind": "synthetic", "stars": synthetic["stars"], "seed": synthetic.get("seed", 0)}}
    return {part_name(path): {"kind": "file", "path": path} for path in expand_catalog_files(CATALOG["files"])}


SOURCES = catalog_sources()

INGEST_OPTIONS = {key: value for key, value in CATALOG.items() if key not in ("files", "synthetic")}


def part_input(wildcards):
    source = SOURCES[wildcards.part]
    return [source["path"]] if source["kind"] == "file" else []


def landmarks_input(wildcards):
    landmarks = config["select"]["landmarks"]
    return [] if landmarks == "builtin" or config["select"]["mode"] == "all" else [landmarks]


def final_targets():
    return [
        f"{OUT}/stars.parquet",
        f"{OUT}/ingest_summary.json",
        f"{OUT}/universe/index.json",
        f"{OUT}/selection.json",
    ]
