"""Snakemake adapter: merge ingest parts into per-cell parquet files and the universe index."""

from helios.grid import Grid
from helios.jobs import configure_logging, user_errors
from helios.partition import build_universe


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        build_universe(
            smk.input.parts,
            smk.input.tallies,
            Grid.from_mapping(smk.params.grid),
            stars_path=smk.output.stars,
            summary_path=smk.output.summary,
            cells_dir=smk.output.cells,
            index_path=smk.output.index,
            limit=smk.params.limit,
            progress=logger.info,
        )


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
