"""Snakemake adapter: one shard's checks (its cell files, its pack file against the sources)."""

from pathlib import Path

from helios.files import write_json
from helios.jobs import configure_logging, user_errors
from helios.validate import check_shard


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        result = check_shard(Path(smk.input.pack_index).parent, smk.wildcards.shard, Path(smk.input.universe).parent,
                             Path(smk.input.index).parent)
        write_json(smk.output[0], result)
        for item in result["checks"]:
            logger.info("[%s] %s: %s", "ok" if item["ok"] else "FAIL", item["name"], item["detail"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
