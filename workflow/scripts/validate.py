"""Snakemake adapter: validation.json; the job fails when a check fails."""

import sys

from helios.jobs import configure_logging
from helios.validate import text_summary, validate_and_write


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    result = validate_and_write(smk.params.output_dir, smk.output[0], smk.params.universe_dir)
    logger.info("\n%s", text_summary(result))
    if not result["ok"]:
        print(text_summary(result), file=sys.stderr)
        sys.exit(1)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
