"""Snakemake adapter: the threshold of the catalogue's limit (keep the N brightest stars)."""

from helios.jobs import configure_logging, user_errors
from helios.partition.limit import find_threshold, write_threshold


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        threshold = find_threshold(smk.input.parts, smk.params.limit)
        write_threshold(smk.output[0], smk.params.limit, threshold)
        logger.info("limit %d: threshold %s", smk.params.limit, threshold)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
