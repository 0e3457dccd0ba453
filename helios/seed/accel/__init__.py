"""Everything that exists only for speed: on a GPU, and in the start-up of many short training jobs.

Training and rendering use it through a few names and would be correct without it:

* :func:`make_step_runner`: runs each training step (CUDA-graph replay of the
  pieces around the rasteriser, one fused Adam update for every parameter).
* :func:`choose_l1_ssim`: HELIOS's fused L1 + SSIM CUDA kernels, or none.
* :mod:`helios.seed.accel.gsplat_direct`: gsplat's kernels called directly (for the
  pinned gsplat version only; ``helios.render`` falls back to
  ``gsplat.rasterization`` otherwise).
* :mod:`helios.seed.accel.cuda_extensions`: the CUDA extensions built once before a
  fan-out of jobs, and loaded by each job without PyTorch's JIT builder.
* :mod:`helios.seed.accel.gpu_slots`: which GPU a job uses, claimed while PyTorch imports.
* :mod:`helios.startup`: a job's start-up cost by phase (a debug option).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # also tells helios.provenance which modules these names come from
    from helios.seed.accel.fused_ssim import choose_l1_ssim
    from helios.seed.accel.step_runner import StepRunner, make_step_runner

# Imported on first use: a training job starts its GPU claim (gpu_slots) and its
# start-up clock (startup) before PyTorch is imported.
_LAZY = {"choose_l1_ssim": "fused_ssim", "StepRunner": "step_runner", "make_step_runner": "step_runner"}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'helios.seed.accel' has no attribute {name!r}")
    return getattr(importlib.import_module(f"helios.seed.accel.{_LAZY[name]}"), name)
