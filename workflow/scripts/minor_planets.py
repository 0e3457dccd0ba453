"""Snakemake adapter: the minor planets the pack carries, from an MPCORB file or the embedded ones."""

from helios.jobs import configure_logging, user_errors
from helios.minor_planets import build_minor_planets


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        directory = build_minor_planets(smk.params.mpcorb, smk.output[0], progress=logger.info)
        logger.info("minor planets: %d orbits at JD %.1f, %d named", directory["count"], directory["epoch_jd"], len(directory["names"]))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
