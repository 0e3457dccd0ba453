"""Snakemake adapter: the seed trainer's splats of one training job's cells (one cell with densification, or a
batch trained together)."""

from pathlib import Path

from helios import startup
from helios.jobs import configure_logging, user_errors
from helios.seed.accel.gpu_slots import TrainingJob


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    job = TrainingJob(smk.config["train_jobs"], int(smk.resources.get("gpu", 0)), smk.threads, smk.input.cuda_extensions, logger)
    from helios.cell import load_cell
    from helios.files import atomic_path
    from helios.grid import Grid
    from helios.seed.training import TrainOptions, train_batch, train_cell

    startup.mark("HELIOS imports")
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        grid = Grid.from_mapping(smk.params.grid)
        cells = [load_cell(path, grid) for path in smk.input.cells]
        startup.mark("cell input")
        with job.device(options.backend) as cuda, atomic_path(smk.output[0], directory=True) as out:
            outputs = [tuple(Path(out) / f"{c.cell_id}{suffix}" for suffix in smk.params.suffixes) for c in cells]
            if smk.config["train_jobs"]["batch_cells"] == 1:  # a job per cell, with densification
                train_cell(cells[0], *outputs[0], options, progress=logger.info, cuda=cuda)
            else:
                train_batch(cells, outputs, options, progress=logger.info, batch_id=smk.wildcards.batch, cuda=cuda)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
