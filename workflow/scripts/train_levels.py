"""Snakemake adapter: one cell's levels of detail (clustered, then trained)."""

import torch

from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    from helios.grid import Grid
    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions

    with user_errors(logger):
        metrics = level_cell(smk.input.cell, smk.output.table, smk.output.metrics, LevelOptions.from_mapping(smk.params.options),
                             smk.params.seed, Grid.from_mapping(smk.params.grid), progress=logger.info)
        logger.info("cell %s: %d levels written in %.1f s", metrics["cell"], len(metrics["levels"]), metrics["wall_time_s"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
