"""Snakemake adapter: train a batch of cells together (train_jobs.batch_cells > 1)."""

import os
from pathlib import Path

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
    from helios.files import atomic_path
    from helios.grid import Grid
    from helios.training import TrainOptions, train_batch

    startup.mark("HELIOS imports")
    torch.set_num_threads(smk.threads)
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        grid = Grid.from_mapping(smk.params.grid)
        cells = [load_cell(path, grid) for path in smk.input.cells]
        startup.mark("cell input")
        cuda = job_uses_cuda(gpus, jobs["cpu_fallback"], logger)
        with training_slot(slot, options.backend, logger, smk.input.cuda_extensions, jobs["startup_timing"], cuda), \
                atomic_path(smk.output[0], directory=True) as out:
            train_batch(cells, [(Path(out) / f"{c.cell_id}.ply", Path(out) / f"{c.cell_id}.json") for c in cells], options,
                        progress=logger.info, batch_id=smk.wildcards.batch, cuda=cuda)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
