"""3-D Gaussian covariance from a rotation quaternion and per-axis scales (both products' Gaussians)."""

from __future__ import annotations

import torch


def quat_scale_to_covar(quats: torch.Tensor, scales: torch.Tensor) -> torch.Tensor:
    """``[N, 3, 3]`` covariances R S S^T R^T from quaternions (wxyz) and scales."""
    q = quats / quats.norm(dim=-1, keepdim=True)
    w, x, y, z = q.unbind(-1)
    rotation = torch.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        dim=-1,
    ).reshape(-1, 3, 3)
    m = rotation * scales[:, None, :]
    return m @ m.transpose(-1, -2)
