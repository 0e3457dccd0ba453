"""CUDA-graph replay of fixed-shape, differentiable pieces of a training step.

A training step at 256 px is bound by the host: each of its ~150 small
kernels costs a launch and a trip through PyTorch's dispatcher and autograd.
The pieces whose shapes do not change from step to step (activations and
regularisers before the rasteriser, the image loss after it) are captured once
with ``torch.cuda.make_graphed_callables`` and replayed as one launch each,
forward and backward.  The rasteriser itself cannot be captured: gsplat's tile
intersection reads a count back to the host every step.

Set ``HELIOS_CUDA_GRAPHS=0`` to run everything eagerly (for comparison or debugging).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable

import torch


def cuda_graphs_enabled() -> bool:
    return os.environ.get("HELIOS_CUDA_GRAPHS", "1") != "0"


def graphed(function: Callable[..., tuple[torch.Tensor, ...]], sample_args: tuple[torch.Tensor, ...]) -> Callable[..., tuple[torch.Tensor, ...]]:
    """``function`` replayed as CUDA graphs for arguments shaped like ``sample_args``.

    Arguments passed later that are the very tensors of ``sample_args`` (the
    same storage) are read in place; others are copied in first.  Outputs that
    do not require grad in the capture get no gradient.
    """
    # PyTorch notes once per process that a graphed backward hands gradients across
    # streams; values and gradients match the eager functions (tests run on CUDA).
    warnings.filterwarnings("ignore", message="The AccumulateGrad node's stream does not match")
    return torch.cuda.make_graphed_callables(function, sample_args, num_warmup_iters=3)
