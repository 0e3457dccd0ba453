"""Snakemake adapter: the pack index (every cell, its shard and its blocks) from the shards' entries."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.pack.shards import write_index


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        index = write_index(smk.input.entries, Path(smk.input.universe).parent, smk.output[0], smk.input.index)
        logger.info("pack index: %d cells in %d shard(s)", len(index["cells"]), len(index["shards"]))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
