"""Snakemake adapter: train a batch of cells together (train.batch_cells > 1)."""

import os
from pathlib import Path

from helios.gpu import GpuSlot, training_slot
from helios.scripting import configure_logging, mark_startup, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    slot = GpuSlot(smk.params.lock_dir, smk.params.slots_per_gpu)  # claims a GPU while PyTorch is imported
    os.environ["TORCH_EXTENSIONS_DIR"] = os.path.abspath(smk.params.extensions_dir)
    import torch

    mark_startup("PyTorch import")
    from helios.cell import load_cell
    from helios.extensions import use_recorded_file
    from helios.files import atomic_path
    from helios.grid import Grid
    from helios.train import TrainOptions
    from helios.train_batch import train_batch

    mark_startup("HELIOS imports")
    torch.set_num_threads(smk.threads)
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        grid = Grid.from_mapping(smk.params.grid)
        cells = [load_cell(path, grid) for path in smk.input.cells]
        mark_startup("cell input")
        use_recorded_file(smk.input.gsplat_build, logger)
        mark_startup("CUDA libraries import")
        with training_slot(slot, options.backend, logger), \
                atomic_path(smk.output[0], directory=True) as out:
            train_batch(cells, [(Path(out) / f"{c.cell_id}.ply", Path(out) / f"{c.cell_id}.json") for c in cells], options,
                        progress=logger.info, batch_id=smk.wildcards.batch)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
