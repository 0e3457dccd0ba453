"""Snakemake adapter: build gsplat's CUDA extension (and HELIOS's fused SSIM) once, before the training fan-out."""

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
    report = {"gsplat_usable": usable, "reason": why}
    built = {}
    if usable:
        from gsplat.cuda._backend import _C

        built["gsplat"] = _C
    if smk.params.use_gpu and smk.params.ssim != "pytorch_msssim":
        from helios.fused_ssim import extension, fused_ssim_usable

        report["fused_ssim_usable"], report["fused_ssim_reason"] = fused_ssim_usable()
        logger.info("fused SSIM usable: %s (%s)", *fused_ssim_usable())
        if report["fused_ssim_usable"]:
            built["fused_ssim"] = extension()
    if built:
        from helios.extensions import record

        # The training jobs import these libraries directly (helios.extensions says why).
        report["libraries"] = record(built)
    write_json(smk.output[0], report)


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
