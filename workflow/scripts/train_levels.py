"""Snakemake adapter: one cell's levels of detail (clustered, then trained)."""

import torch

from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    from helios.jobs import job_uses_cuda
    from helios.grid import Grid
    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions

    with user_errors(logger):
        # A GPU only when the job was given one (train_jobs.gpus), as for the splat trainer's jobs.
        device = "cuda" if job_uses_cuda(int(smk.resources.get("gpu", 0)), smk.config["train_jobs"]["cpu_fallback"], logger) else "cpu"
        metrics = level_cell(smk.input.cell, smk.output.table, smk.output.metrics, LevelOptions.from_mapping(smk.params.options),
                             smk.params.seed, Grid.from_mapping(smk.params.grid), device=device, progress=logger.info)
        logger.info("cell %s: %d levels written in %.1f s (%s)", metrics["cell"], len(metrics["levels"]), metrics["wall_time_s"], device)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
