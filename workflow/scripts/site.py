"""Snakemake adapter: the planetarium web site (page, scripts, index.json, pack, landmarks) into results/site."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.site import make_site


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        manifest = make_site(Path(smk.input.universe).parent, smk.output[0], smk.params.landmarks, smk.input.pack)
        logger.info("site written to %s (frame %s, epoch %s); serve it with: helios view %s",
                    smk.output[0], manifest["frame"], manifest["epoch"], smk.output[0])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
