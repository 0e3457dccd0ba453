"""Training: Gaussians initialised from a cell's stars, fitted to reference renders of its star field.

:func:`train_cell` trains one cell (with densification), :func:`train_batch`
several together; both run the one loop of :mod:`helios.seed.training.loop`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from helios.seed.training.options import GROUND_TRUTHS, TrainOptions

if TYPE_CHECKING:  # also tells helios.provenance which module these names come from
    from helios.seed.training.train import train_batch, train_cell

__all__ = ["GROUND_TRUTHS", "TrainOptions", "train_batch", "train_cell"]


def __getattr__(name: str) -> Any:
    # The training itself (torch) is imported on first use: the workflow checks TrainOptions when it reads
    # the Snakefile, at every Snakemake start.
    if name in ("train_batch", "train_cell"):
        return getattr(importlib.import_module("helios.seed.training.train"), name)
    raise AttributeError(f"module 'helios.seed.training' has no attribute {name!r}")
