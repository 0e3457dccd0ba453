"""Snakemake adapter: train one cell's Gaussian splats."""

import os

from helios.accel import startup
from helios.accel.gpu_slots import GpuSlot, job_uses_cuda, training_slot
from helios.jobs import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    jobs = smk.config["train_jobs"]
    gpus = int(smk.resources.get("gpu", 0))  # what the job was given: it uses CUDA only then
    slot = GpuSlot(jobs["gpu_lock_dir"], jobs["slots_per_gpu"], jobs["gpu_wait_s"], wanted=gpus > 0)  # claimed while PyTorch imports
    os.environ["TORCH_EXTENSIONS_DIR"] = os.path.abspath(jobs["extensions_dir"])
    import torch

    startup.mark("PyTorch import")
    from helios.cell import load_cell
    from helios.grid import Grid
    from helios.training import TrainOptions, train_cell

    startup.mark("HELIOS imports")
    torch.set_num_threads(smk.threads)
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        cell = load_cell(smk.input.cell, Grid.from_mapping(smk.params.grid))
        startup.mark("cell input")
        cuda = job_uses_cuda(gpus, jobs["cpu_fallback"], logger)
        with training_slot(slot, options.backend, logger, smk.input.cuda_extensions, jobs["startup_timing"], cuda):
            train_cell(cell, smk.output.ply, smk.output.metrics, options, progress=logger.info, cuda=cuda)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
