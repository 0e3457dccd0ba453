"""Snakemake adapter: the universe's stars and every trained cell into cells.pack.bin."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.pack.assembly import pack_universe


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        encoding = "f32" if smk.params.dtype == "float32" else "f16"
        directory = pack_universe(Path(smk.input.universe).parent, smk.output[0], Path(smk.input.index).parent, encoding)
        blocks = [block["kind"] for cell in directory["cells"] for block in cell["blocks"]]
        logger.info("%d cells packed: %s", len(directory["cells"]), ", ".join(f"{blocks.count(k)} {k}" for k in sorted(set(blocks))))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
