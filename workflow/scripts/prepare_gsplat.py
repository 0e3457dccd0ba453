"""Snakemake adapter: build gsplat's CUDA extension once, before the training fan-out."""

import os

from helios.files import write_json
from helios.scripting import configure_logging


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    os.environ["TORCH_EXTENSIONS_DIR"] = os.path.abspath(smk.params.extensions_dir)
    from helios.render.backend import gsplat_usable

    if smk.params.use_gpu:
        logger.info("building or loading gsplat's CUDA extension in %s", os.environ["TORCH_EXTENSIONS_DIR"])
    usable, why = gsplat_usable() if smk.params.use_gpu else (False, "training runs on the CPU (torch backend)")
    logger.info("gsplat usable: %s (%s)", usable, why)
    write_json(smk.output[0], {"gsplat_usable": usable, "reason": why})


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
