"""Snakemake adapter: count one part's stars under each fine key of the cell tree."""

from helios.grid import Grid
from helios.jobs import configure_logging, user_errors
from helios.partition.counts import count_part
from helios.partition.limit import read_threshold


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        threshold = read_threshold(smk.input.limit[0] if smk.input.limit else None)
        tally = count_part(smk.input.part, smk.params.file_index, Grid.from_mapping(smk.params.grid), threshold, smk.output[0])
        logger.info("%s: %d stars counted (%d beyond the limit)", smk.input.part, tally["stars"], tally["limit_dropped"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
