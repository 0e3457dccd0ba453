"""Snakemake adapter: the partition's plan (the leaves of the cell tree, grouped into shards)."""

from helios.grid import Grid
from helios.jobs import configure_logging, user_errors
from helios.partition.plan import make_plan, write_plan


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        plan = make_plan(Grid.from_mapping(smk.params.grid), smk.input.counts, smk.input.tallies, smk.params.shard_rows)
        write_plan(smk.output[0], plan)
        logger.info("%d stars in %d cells, %d shard(s)", plan["star_count"], len(plan["leaves"]), len(plan["shards"]))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
