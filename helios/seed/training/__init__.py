"""Training: Gaussians initialised from a cell's stars, fitted to reference renders of its star field.

:func:`train_cell` trains one cell (with densification), :func:`train_batch`
several together; both run the one loop of :mod:`helios.seed.training.loop`.
"""

from helios.seed.training.options import GROUND_TRUTHS, TrainOptions
from helios.seed.training.train import train_batch, train_cell

__all__ = ["GROUND_TRUTHS", "TrainOptions", "train_batch", "train_cell"]
