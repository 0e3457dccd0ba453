"""Snakemake adapter: validation.json, written whether the checks pass or not (rule check_validation fails the run)."""

from helios.checks import Thresholds
from helios.files import load_json
from helios.jobs import configure_logging, user_errors
from helios.validate import text_summary, validate_and_write


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        shards = [load_json(path, "shard validation") for path in smk.input.shards]
        result = validate_and_write(smk.params.output_dir, smk.output[0], smk.params.universe_dir,
                                    Thresholds.from_mapping(smk.params.thresholds), shards)
        logger.info("\n%s", text_summary(result))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
