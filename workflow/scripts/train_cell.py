"""Snakemake adapter: train one cell's Gaussian splats."""

from helios import startup
from helios.seed.accel.gpu_slots import TrainingJob
from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    job = TrainingJob(smk.config["train_jobs"], int(smk.resources.get("gpu", 0)), smk.threads, smk.input.cuda_extensions, logger)
    from helios.cell import load_cell
    from helios.grid import Grid
    from helios.seed.training import TrainOptions, train_cell

    startup.mark("HELIOS imports")
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        cell = load_cell(smk.input.cell, Grid.from_mapping(smk.params.grid))
        startup.mark("cell input")
        with job.device(options.backend) as cuda:
            train_cell(cell, smk.output.ply, smk.output.metrics, options, progress=logger.info, cuda=cuda)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
