"""The workflow's ``build_cuda_extensions`` step: gsplat's and the fused SSIM's CUDA code built once, before the
fan-out of training jobs, and recorded for them (:mod:`helios.seed.accel.cuda_extensions`)."""

from __future__ import annotations

import os
from typing import Any

from helios.seed.accel.cuda_extensions import record


def build_cuda_extensions(use_gpu: bool, ssim: str, logger: Any) -> dict[str, Any]:
    """Build (or load from ``TORCH_EXTENSIONS_DIR``) gsplat's and the fused SSIM's CUDA code; the report to record.

    ``use_gpu``: whether training will use CUDA (nothing is built otherwise);
    ``ssim``: the training option (no fused SSIM for ``pytorch_msssim``).
    """
    from helios.seed.render.backend import gsplat_usable

    if use_gpu:
        logger.info("building or loading gsplat's CUDA extension in %s", os.environ.get("TORCH_EXTENSIONS_DIR", "PyTorch's default"))
    usable, why = gsplat_usable() if use_gpu else (False, "training runs on the CPU (torch backend)")
    logger.info("gsplat usable: %s (%s)", usable, why)
    report: dict[str, Any] = {"gsplat_usable": usable, "reason": why}
    built = {}
    from helios.seed.accel import gsplat_direct

    if usable and gsplat_direct.applies():  # the library is called directly only for the pinned gsplat
        from gsplat.cuda._backend import _C

        built["gsplat"] = _C
    if use_gpu and ssim != "pytorch_msssim":
        from helios.seed.accel.fused_ssim import extension, fused_ssim_usable

        report["fused_ssim_usable"], report["fused_ssim_reason"] = fused_ssim_usable()
        logger.info("fused SSIM usable: %s (%s)", *fused_ssim_usable())
        if report["fused_ssim_usable"]:
            built["fused_ssim"] = extension()
    if built:
        report["libraries"] = record(built)  # the training jobs import these directly
    return report
