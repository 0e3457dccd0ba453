"""Snakemake adapter: the levels of a batch of cells, one after another in one job (train_jobs.batch_cells > 1)."""

from pathlib import Path

import torch

from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    torch.set_num_threads(smk.threads)
    from helios.jobs import job_uses_cuda
    from helios.files import atomic_path
    from helios.grid import Grid
    from helios.lod.cell_job import level_cell
    from helios.lod.levels import LevelOptions

    with user_errors(logger):
        device = "cuda" if job_uses_cuda(int(smk.resources.get("gpu", 0)), smk.config["train_jobs"]["cpu_fallback"], logger) else "cpu"
        options, grid = LevelOptions.from_mapping(smk.params.options), Grid.from_mapping(smk.params.grid)
        with atomic_path(smk.output[0], directory=True) as out:
            for number, (cell_id, path) in enumerate(zip(smk.params.cells, smk.input.cells, strict=True), 1):
                stem = Path(out) / cell_id
                metrics = level_cell(path, f"{stem}.levels.parquet", f"{stem}.levels.json", options, smk.params.seed, grid,
                                     device=device, progress=logger.info)
                logger.info("cell %s (%d of %d in batch %s): %d levels written in %.1f s (%s)", cell_id, number, len(smk.params.cells),
                            smk.wildcards.batch, len(metrics["levels"]), metrics["wall_time_s"], device)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
