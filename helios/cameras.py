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


def camera_position(views: Views, c: int = 0) -> np.ndarray:
    """Where camera ``c`` is, in world coordinates (``-R^T t`` of its world-to-camera matrix)."""
    view = views.viewmats[c].double().cpu().numpy()
    return -view[:3, :3].T @ view[:3, 3]


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


def pinhole(eye: np.ndarray, target: np.ndarray, fov_deg: float, width: int, height: int, up: np.ndarray = (0.0, 0.0, 1.0)) -> Views:
    """One camera at ``eye`` looking at ``target`` with ``up`` towards the top of the image.

    ``fov_deg`` is the horizontal field of view; pixels are square; image x grows to
    the right and y downwards (as everywhere in HELIOS).  Raises ``ValueError`` when the
    camera has no direction (``eye == target``) or ``up`` is parallel to it.
    """
    eye, target, up = (np.asarray(a, dtype=np.float64) for a in (eye, target, up))
    forward = target - eye
    if not np.linalg.norm(forward) > 0:
        raise ValueError("the camera looks at its own position: give a look-at point away from it")
    if not 0 < fov_deg < 180:
        raise ValueError(f"field of view {fov_deg} degrees: it must be between 0 and 180")
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    if not np.linalg.norm(right) > 1e-9 * max(1.0, np.linalg.norm(up)):
        raise ValueError(f"the up vector {up.tolist()} is parallel to the viewing direction: give another --up")
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    view = np.eye(4)
    view[:3, :3] = np.stack([right, down, forward])
    view[:3, 3] = -view[:3, :3] @ eye
    focal = 0.5 * width / math.tan(math.radians(fov_deg) / 2)
    K = np.array([[focal, 0.0, width / 2], [0.0, focal, height / 2], [0.0, 0.0, 1.0]])
    return Views(torch.tensor(view[None], dtype=torch.float64), torch.tensor(K[None], dtype=torch.float64), width, height)
