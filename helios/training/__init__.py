"""Training: Gaussians initialised from a cell's stars, fitted to reference renders of its star field.

:func:`train_cell` trains one cell (with densification), :func:`train_batch`
several together; both run the one loop of :mod:`helios.training.loop`.
"""

from helios.training.options import GROUND_TRUTHS, TrainOptions
from helios.training.problem import cell_seed
from helios.training.train import train_batch, train_cell

__all__ = ["GROUND_TRUTHS", "TrainOptions", "cell_seed", "train_batch", "train_cell"]
