"""Snakemake adapter: every trained cell into cells.pack.bin."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.trained_index import pack_universe


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        encoding = "f32" if smk.params.dtype == "float32" else "f16"
        directory = pack_universe(Path(smk.input[0]).parent, smk.output[0], encoding)
        logger.info("%d cells packed (%s)", len(directory["cells"]), encoding)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
