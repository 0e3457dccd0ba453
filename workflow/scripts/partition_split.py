"""Snakemake adapter: send one part's stars to their shards."""

from helios.jobs import configure_logging, user_errors
from helios.partition.limit import read_threshold
from helios.partition.parts import read_tally
from helios.partition.plan import read_plan
from helios.partition.split import split_part


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        threshold = read_threshold(smk.input.limit[0] if smk.input.limit else None)
        source = read_tally(smk.input.tally)["source"]
        tally = split_part(smk.input.part, smk.params.file_index, source, read_plan(smk.input.plan), threshold, smk.output[0])
        logger.info("%s: %d stars split", source, tally["stars"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
