"""Snakemake adapter: build gsplat's CUDA extension and HELIOS's fused SSIM once, before the training fan-out."""

import os

from helios.files import write_json
from helios.jobs import configure_logging


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    os.environ["TORCH_EXTENSIONS_DIR"] = os.path.abspath(smk.config["train_jobs"]["extensions_dir"])
    from helios.seed.accel.build_extensions import build_cuda_extensions

    write_json(smk.output[0], build_cuda_extensions(smk.params.use_gpu, smk.params.ssim, logger))


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
