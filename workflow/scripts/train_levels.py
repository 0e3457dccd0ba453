"""Snakemake adapter: the levels of one training job's cells (one cell, or a batch), one after another."""

from pathlib import Path

import torch

from helios.jobs import configure_logging, job_uses_cuda, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    from helios.files import atomic_path
    from helios.grid import Grid
    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions

    with user_errors(logger):
        # A GPU only when the job was given one (train_jobs.gpus), as for the seed trainer's jobs.
        device = "cuda" if job_uses_cuda(int(smk.resources.get("gpu", 0)), smk.config["train_jobs"]["cpu_fallback"], logger) else "cpu"
        options, grid = LevelOptions.from_mapping(smk.params.options), Grid.from_mapping(smk.params.grid)
        cells = smk.params.cells
        with atomic_path(smk.output[0], directory=True) as out:
            for number, (cell_id, path) in enumerate(zip(cells, smk.input.cells, strict=True), 1):
                levels_file, metrics_file = (Path(out) / f"{cell_id}{suffix}" for suffix in smk.params.suffixes)
                metrics = level_cell(path, levels_file, metrics_file, options, smk.params.seed, grid,
                                     device=device, progress=logger.info)
                where = f" ({number} of {len(cells)} in batch {smk.wildcards.batch})" if len(cells) > 1 else ""
                logger.info("cell %s%s: %d levels written in %.1f s (%s)", cell_id, where, len(metrics["levels"]), metrics["wall_time_s"],
                            device)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
