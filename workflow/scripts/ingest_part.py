"""Snakemake adapter: ingest one catalogue source into a star-table part."""

from helios.ingest import IngestOptions, ingest_source
from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        ingest_source(
            smk.params.source,
            smk.output.part,
            smk.output.tally,
            IngestOptions.from_mapping(smk.params.options),
            progress=logger.info,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
