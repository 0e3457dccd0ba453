"""Snakemake adapter: the pack index (every shard, its files and the summary of its cells) from the shards' entries."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.pack.shards import write_index


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        minor_planets = smk.input.minor_planets[0] if smk.input.minor_planets else None
        index = write_index(smk.input.entries, Path(smk.input.universe).parent, smk.output[0], smk.input.index, minor_planets)
        logger.info("pack index: %d cells in %d shard(s)", sum(shard["cells"] for shard in index["shards"]), len(index["shards"]))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
