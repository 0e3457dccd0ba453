"""Pinhole cameras around a cell, in the cell's normalised frame (bounding radius 1).

Conventions follow gsplat (OpenCV): a camera looks along its +z, +y points
down the image, pixel centres sit at half-integers.  ``viewmats`` map world to
camera coordinates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Views:
    viewmats: torch.Tensor  # [C, 4, 4] world -> camera
    Ks: torch.Tensor  # [C, 3, 3]
    width: int
    height: int

    def __len__(self) -> int:
        return self.viewmats.shape[0]

    def subset(self, index: torch.Tensor) -> Views:
        return Views(self.viewmats[index], self.Ks[index], self.width, self.height)

    def to(self, device: torch.device | str) -> Views:
        return Views(self.viewmats.to(device), self.Ks.to(device), self.width, self.height)


def look_at(eye: np.ndarray, target: np.ndarray, roll: float) -> np.ndarray:
    """World -> camera matrix of a camera at ``eye`` looking at ``target``, rolled by ``roll`` radians."""
    forward = target - eye
    forward = forward / np.linalg.norm(forward)
    helper = np.array([0.0, 0.0, 1.0]) if abs(forward[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    right = np.cross(forward, helper)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = math.cos(roll), math.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    rotation = np.stack([right, down, forward])  # rows: camera axes in world coordinates
    view = np.eye(4)
    view[:3, :3] = rotation
    view[:3, 3] = -rotation @ eye
    return view


def sample_views(
    n_views: int,
    image_size: int,
    seed: int,
    distance_range: tuple[float, float] = (2.0, 3.0),
    margin: float = 1.05,
) -> Views:
    """``n_views`` cameras on spheres of radius ``distance_range`` (in bounding radii).

    Directions are uniform on the sphere, rolls uniform; the field of view
    just frames the bounding sphere (times ``margin``).
    """
    rng = np.random.default_rng(seed)
    viewmats, Ks = [], []
    for _ in range(n_views):
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        distance = rng.uniform(*distance_range)
        roll = rng.uniform(0, 2 * math.pi)
        viewmats.append(look_at(direction * distance, np.zeros(3), roll))
        half_fov = math.asin(min(1.0, margin / distance))
        focal = 0.5 * image_size / math.tan(half_fov)
        Ks.append(np.array([[focal, 0.0, image_size / 2], [0.0, focal, image_size / 2], [0.0, 0.0, 1.0]]))
    return Views(
        torch.tensor(np.stack(viewmats), dtype=torch.float32),
        torch.tensor(np.stack(Ks), dtype=torch.float32),
        image_size,
        image_size,
    )
