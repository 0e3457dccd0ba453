"""Snakemake adapter: the universe index and the ingest summary, from the shards' entries."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.partition.index import gather_index
from helios.partition.plan import read_plan
from helios.partition.split import TALLY_FILE


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        index = gather_index(read_plan(smk.input.plan), smk.input.entries, smk.input.tallies,
                             [Path(split) / TALLY_FILE for split in smk.input.splits], smk.output.index,
                             smk.output.summary, smk.params.limit)
        logger.info("universe: %d stars in %d cells, %d shard(s)", index["star_count"], index["cell_count"], len(index["shards"]))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
