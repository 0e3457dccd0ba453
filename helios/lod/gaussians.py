"""A level's Gaussians as arrays (numpy only: the pack and the validation read them without torch).

Each Gaussian is a mean (pc), a covariance (pc^2), a luminosity (flux at 10 pc) and a colour of unit luminance;
:mod:`helios.lod.cluster` makes them, :mod:`helios.lod.train` fits them, :mod:`helios.lod.store` keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class GlowGaussians:
    means: np.ndarray  # [G, 3] pc
    covariances: np.ndarray  # [G, 3, 3] pc^2
    luminosity: np.ndarray  # [G] flux at 10 pc
    colours: np.ndarray  # [G, 3] unit luminance

    @classmethod
    def empty(cls) -> GlowGaussians:
        return cls(np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros(0), np.zeros((0, 3)))

    def __len__(self) -> int:
        return len(self.luminosity)

    def scales_and_rotations(self) -> tuple[np.ndarray, np.ndarray]:
        """Standard deviations along the principal axes ``[G, 3]`` and the rotations ``[G, 4]``
        (unit quaternions w, x, y, z) whose columns are those axes: ``cov = R diag(s^2) R^T``."""
        from scipy.spatial.transform import Rotation

        values, vectors = np.linalg.eigh(self.covariances)
        vectors[np.linalg.det(vectors) < 0, :, 0] *= -1  # proper rotations
        xyzw = Rotation.from_matrix(vectors).as_quat() if len(vectors) else np.zeros((0, 4))
        return np.sqrt(np.clip(values, 1e-30, None)), np.c_[xyzw[:, 3], xyzw[:, :3]]

    @classmethod
    def from_scales_and_rotations(cls, means: np.ndarray, scales: np.ndarray, quats: np.ndarray, luminosity: np.ndarray,
                                  colours: np.ndarray) -> GlowGaussians:
        from scipy.spatial.transform import Rotation

        quats = np.asarray(quats, np.float64)
        rotations = Rotation.from_quat(np.c_[quats[:, 1:], quats[:, :1]]).as_matrix() if len(quats) else np.zeros((0, 3, 3))
        covariances = rotations @ (np.asarray(scales, np.float64)[:, :, None] ** 2 * np.transpose(rotations, (0, 2, 1)))
        return cls(np.asarray(means, np.float64), covariances, np.asarray(luminosity, np.float64), np.asarray(colours, np.float64))

    def tensors(self, device: str | torch.device = "cpu") -> tuple[torch.Tensor, ...]:
        import torch

        return tuple(torch.as_tensor(a, dtype=torch.float64, device=device) for a in (self.means, self.covariances, self.luminosity, self.colours))
