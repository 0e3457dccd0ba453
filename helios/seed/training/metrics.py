"""A trained cell's metrics record (``trained/splats/{job}/{cell}.json``; docs/formats.md)."""

from __future__ import annotations

import math
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch

import helios
from helios.cell import CellStars
from helios.files import write_json
from helios.seed.splats import InitOptions, init_params, write_ply
from helios.seed.training.options import TrainOptions
from helios.seeding import cell_seed

METRICS_FORMAT = "helios-cell-metrics"
METRICS_VERSION = 1


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def metrics_header(cell: CellStars, options: TrainOptions, backend: str, why: str, device: torch.device) -> dict[str, Any]:
    """The metrics fields known before training."""
    return {
        "format": METRICS_FORMAT,
        "version": METRICS_VERSION,
        "cell": cell.cell_id,
        "backend": backend,
        "backend_reason": why,
        "device": describe_device(device),
        "seed": options.seed,
        "cell_seed": cell_seed(options.seed, cell.cell_id),
        "config_hash": options.config_hash(),
        "options": options.as_dict(),
        "versions": versions(),
        "star_count": len(cell.positions),
        "stars_dropped_nonfinite": cell.dropped_nonfinite,
        # The one transform of the PLY's positions is centre_pc (x_pc = centre_pc + x); training works in units of the
        # bounding radius, which no stored value is in.
        "frame": {"centre_pc": [float(v) for v in cell.centre_pc], "training_unit_pc": cell.scale_pc},
    }


def loss_reduction(initial: float, final: float) -> float | None:
    return (1 - final / initial) if initial > 0 and math.isfinite(final) else None


def training_result(status: str, exposure: float, splats_initial: int, splats_final: int, iterations_run: int, best_step: int,
                    loss_initial: float, loss_final: float, before: tuple[float, float], after: tuple[float, float],
                    curve: list[dict[str, float]]) -> dict[str, Any]:
    """The metrics fields a training run adds to the header (``before``/``after``: held-out PSNR and SSIM)."""
    return {
        "status": status,
        "exposure": exposure,
        "splats_initial": splats_initial,
        "splats_final": splats_final,
        "iterations_run": iterations_run,
        "best_step": best_step,
        "loss_initial": loss_initial,
        "loss_final": loss_final,
        "loss_reduction": loss_reduction(loss_initial, loss_final),
        "eval": {"psnr_before": before[0], "psnr_after": after[0], "ssim_before": before[1], "ssim_after": after[1]},
        "loss_curve": curve,
    }


def write_metrics(path: str | Path, metrics: dict[str, Any]) -> None:
    write_json(path, finite(metrics))


def write_empty_cell(metrics: dict[str, Any], cell: CellStars, ply_path: str | Path, metrics_path: str | Path,
                     init_options: InitOptions, wall_time_s: float) -> dict[str, Any]:
    """Outputs of a cell without stars: an empty PLY and status ``empty``."""
    write_ply(ply_path, init_params(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), init_options), cell.scale_pc)
    metrics.update(status="empty", splats_initial=0, splats_final=0, iterations_run=0, loss_curve=[], wall_time_s=wall_time_s)
    write_json(metrics_path, metrics)
    return metrics


def finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def versions() -> dict[str, str]:
    import gsplat
    import pytorch_msssim

    return {"helios": helios.__version__, "torch": torch.__version__, "gsplat": gsplat.__version__,
            "numpy": np.__version__, "pytorch_msssim": getattr(pytorch_msssim, "__version__", "unknown"),
            "python": platform.python_version()}
