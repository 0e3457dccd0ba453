"""Snakemake adapter: one shard's cells (stars, and what was trained for them) into its pack file."""

from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.pack.shards import write_shard


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        encoding = "f32" if smk.params.dtype == "float32" else "f16"
        document = write_shard(Path(smk.input.universe).parent, smk.wildcards.shard, Path(smk.input.index).parent,
                               Path(smk.output.pack).parent, encoding)
        blocks = [block["kind"] for cell in document["cells"] for block in cell["blocks"]]
        logger.info("%s: %d cells packed, %d bytes: %s", smk.wildcards.shard, len(document["cells"]), document["bytes"],
                    ", ".join(f"{blocks.count(k)} {k}" for k in sorted(set(blocks))))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
