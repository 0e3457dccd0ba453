"""Snakemake adapter: write one shard's cells, brightest first."""

from helios.jobs import configure_logging, user_errors
from helios.partition.parts import read_tally
from helios.partition.plan import read_plan
from helios.partition.reduce import reduce_shard


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        shard = smk.wildcards.shard
        sources = [read_tally(path)["source"] for path in smk.input.tallies]
        entries = reduce_shard(shard, read_plan(smk.input.plan), smk.input.splits, sources, smk.output.cells,
                               smk.output.entries, f"cells/{shard}")
        logger.info("%s: %d stars in %d cells", shard, sum(e["star_count"] for e in entries), len(entries))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
