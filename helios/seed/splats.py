"""Gaussian splats: initialisation from stars and INRIA 3DGS PLY input/output.

Parameters are kept pre-activation, as in the PLY and in gsplat's trainers:
``means`` [N, 3], ``scales`` [N, 3] (log of the standard deviations),
``quats`` [N, 4] (w, x, y, z; normalised when used), ``opacities`` [N]
(logit), ``colors`` [N, 3] (degree-0 spherical-harmonic coefficient
``f_dc``: rgb = 0.5 + C0 * f_dc).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from helios.files import atomic_path
from helios.outputs import SOFTWARE
from helios.seed.ply import PLY_PROPERTIES

SH_C0 = 0.28209479177387814
PARAM_NAMES = ("means", "scales", "quats", "opacities", "colors")
GPU_PAIRWISE_MAX = 1 << 16  # above this many stars a k-d tree beats comparing every pair, even on a GPU


def rgb_to_sh0(rgb: torch.Tensor) -> torch.Tensor:
    return (rgb - 0.5) / SH_C0


def sh0_to_rgb(sh0: torch.Tensor) -> torch.Tensor:
    """Activated colour used by both renderers: clamped at 0 like 3DGS."""
    return torch.clamp_min(sh0 * SH_C0 + 0.5, 0.0)


def activated(scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pre-activation log-scales, opacity logits and SH0 colours -> what the renderers draw."""
    return torch.exp(scales), torch.sigmoid(opacities), sh0_to_rgb(colors)


@dataclass(frozen=True)
class InitOptions:
    """How stars become initial Gaussians (in the cell's normalised frame, radius 1).

    min_scale / max_scale: clip of the isotropic scale, which starts as the
        mean distance to the 3 nearest neighbours (as 3DGS).
    min_opacity / max_opacity: opacity range that log-luminosity is mapped to
        within the cell (brightest star gets max_opacity).
    """

    min_scale: float = 0.001
    max_scale: float = 0.02
    min_opacity: float = 0.1
    max_opacity: float = 0.9


def knn_mean_distance(points: np.ndarray, k: int = 3, device: torch.device | str = "cpu") -> np.ndarray:
    """Mean distance of each point to its ``k`` nearest other points (inf when alone).

    On a GPU, cells of up to ``GPU_PAIRWISE_MAX`` points compare every pair;
    elsewhere SciPy's k-d tree answers.  Both give the same bytes (float64,
    distances from exact coordinate differences).  SciPy is imported only when
    it is needed: the import costs a GPU training job 0.25-0.5 s of start-up.
    """
    n = len(points)
    if n < 2:
        return np.full(n, np.inf)
    k = min(k, n - 1)
    if torch.device(device).type == "cuda" and n <= GPU_PAIRWISE_MAX:
        nearest = _nearest_squared_distances(torch.as_tensor(points, dtype=torch.float64, device=device), k).cpu().numpy()
        return np.sqrt(nearest).mean(axis=1)
    from scipy.spatial import cKDTree

    distances, _ = cKDTree(points).query(points, k=k + 1)
    return distances[:, 1:].mean(axis=1)


def _nearest_squared_distances(points: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distances [N, k] from each point to its ``k`` nearest others, ascending, by comparing every pair."""
    n = len(points)
    rows = max(1, (1 << 24) // n)  # each block's temporaries stay under 128 MB
    blocks = []
    for start in range(0, n, rows):
        block = points[start:start + rows]
        squared = sum((block[:, None, axis] - points[None, :, axis]) ** 2 for axis in range(3))
        rows_here = torch.arange(len(block), device=points.device)
        squared[rows_here, rows_here + start] = math.inf  # not itself
        blocks.append(torch.topk(squared, k, dim=1, largest=False).values)
    return torch.cat(blocks)


def init_params(positions: np.ndarray, rgb: np.ndarray, abs_mag: np.ndarray, options: InitOptions = InitOptions(),
                neighbour_device: torch.device | str = "cpu") -> dict[str, torch.Tensor]:
    """Initial pre-activation parameters (CPU) for stars at ``positions`` [N, 3] (normalised frame).

    ``neighbour_device`` is where the nearest-neighbour distances are found
    (the training device; see :func:`knn_mean_distance`).  Coincident stars
    get the minimum scale.  Opacity maps log-luminosity
    (``-0.4 M``) linearly onto [min_opacity, max_opacity] within the cell.
    """
    positions = np.asarray(positions, dtype=np.float64)
    n = len(positions)
    knn = np.nan_to_num(knn_mean_distance(positions, device=neighbour_device), posinf=options.max_scale)
    scale = np.clip(knn, options.min_scale, options.max_scale)
    log_lum = -0.4 * np.asarray(abs_mag, dtype=np.float64)
    span = log_lum.max() - log_lum.min() if n else 0.0
    frac = (log_lum - log_lum.min()) / span if span > 0 else np.ones(n)
    opacity = options.min_opacity + (options.max_opacity - options.min_opacity) * frac
    quats = np.zeros((n, 4))
    quats[:, 0] = 1.0
    return {
        "means": torch.tensor(positions, dtype=torch.float32),
        "scales": torch.tensor(np.log(scale)[:, None].repeat(3, axis=1), dtype=torch.float32),
        "quats": torch.tensor(quats, dtype=torch.float32),
        "opacities": torch.logit(torch.tensor(opacity, dtype=torch.float32)),
        "colors": rgb_to_sh0(torch.tensor(np.asarray(rgb), dtype=torch.float32).reshape(n, 3)),
    }


def write_ply(path: str | Path, params: dict[str, torch.Tensor], scale: float = 1.0) -> None:
    """Write INRIA 3DGS PLY (binary little-endian float32), atomically.

    ``scale`` converts the normalised training frame back to parsecs:
    positions are multiplied by it and log-scales shifted by ``log(scale)``.
    Quaternions are written normalised; normals are zero.
    """
    means = params["means"].detach().cpu().double().numpy() * scale
    n = len(means)
    quats = params["quats"].detach().cpu().double()
    quats = (quats / quats.norm(dim=-1, keepdim=True).clamp_min(1e-12)).numpy()
    data = np.zeros((n, len(PLY_PROPERTIES)), dtype="<f4")
    data[:, 0:3] = means
    data[:, 6:9] = params["colors"].detach().cpu().numpy()
    data[:, 9] = params["opacities"].detach().cpu().numpy()
    data[:, 10:13] = params["scales"].detach().cpu().double().numpy() + math.log(scale)
    data[:, 13:17] = quats
    header = f"ply\nformat binary_little_endian 1.0\ncomment {SOFTWARE}\n"
    header += f"element vertex {n}\n" + "".join(f"property float {name}\n" for name in PLY_PROPERTIES) + "end_header\n"
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(header.encode("ascii"))
            handle.write(data.tobytes())
