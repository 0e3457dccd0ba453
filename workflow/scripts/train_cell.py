"""Snakemake adapter: train one cell's Gaussian splats.

Fault injection for the tests of ``--retries``: when HELIOS_FAIL_ONCE_DIR is
set, the first attempt at each cell fails (and leaves a marker file there).
"""

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
    from helios.grid import Grid
    from helios.train import TrainOptions, train_cell

    mark_startup("HELIOS imports")
    torch.set_num_threads(smk.threads)
    fail_once = os.environ.get("HELIOS_FAIL_ONCE_DIR")
    if fail_once:
        marker = Path(fail_once) / smk.wildcards.cell
        if not marker.exists():
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
            raise RuntimeError(f"injected transient failure for cell {smk.wildcards.cell} (HELIOS_FAIL_ONCE_DIR)")
    with user_errors(logger):
        options = TrainOptions.from_mapping(smk.params.options)
        cell = load_cell(smk.input.cell, Grid.from_mapping(smk.params.grid))
        mark_startup("cell input")
        use_recorded_file(smk.input.gsplat_build, logger)
        mark_startup("CUDA libraries import")
        with training_slot(slot, options.backend, logger):
            train_cell(cell, smk.output.ply, smk.output.metrics, options, progress=logger.info)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
