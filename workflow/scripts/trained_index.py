"""Snakemake adapter: the trained universe's index.json."""

import json
from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.partition import read_index
from helios.products import product
from helios.trained_index import build_trained_index


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        selection = json.loads(Path(smk.input.selection).read_text())
        index = build_trained_index(read_index(smk.input.universe), selection, Path(smk.output[0]).parent, smk.output[0],
                                    {"hash": smk.params.config_hash}, smk.params.cell_files, smk.params.ground_truth)
        count_key = product(smk.params.ground_truth).count_key
        logger.info("%d trained cells, %s %s", index["cell_count"], f"{index[count_key]:,}", count_key.replace("_count", "s"))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
