"""Snakemake adapter: one shard's part of the report's pictures (helios.report_parts)."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.report import report_shard
from helios.report_parts import write_part
from helios.universe import read_trained_index


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        parts = report_shard(read_trained_index(smk.input.index), Path(smk.input.index).parent, Path(smk.input.universe).parent,
                             smk.wildcards.shard)
        write_part(smk.output[0], parts, smk.wildcards.shard)
        logger.info("shard %s: %d images of the report drawn", smk.wildcards.shard, len(parts.images))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
