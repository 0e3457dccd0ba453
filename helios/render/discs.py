"""The Sun and the planets as discs where their radius spans two pixels or more (``helios render --solar-system``; the
client's renderer.js draws them the same way, its DISC_FRAGMENT).

Each pixel is sampled at 4 x 4 points (8 x 8 for a disc under 8 pixels in radius); a sample's ray that meets the
sphere carries light in proportion to the sunlight its surface takes there, Lambert's cos(incidence) (a planet; the
Sun, which shines by itself: 1), times the sample's solid angle. The sum over the disc is normalised to the body's
flux at the camera (its apparent magnitude, ``helios/solar.py``) by the same integral taken over the sphere's
surface (:func:`normalisation`; far away it is the Lambert sphere's phase integral, (R/d)^2 (2/3) (sin a + (pi - a)
cos a) at phase angle a, and for the Sun its disc's solid angle, 2 pi (1 - sqrt(1 - (R/d)^2))). So a disc keeps the
light its point had, to within the sampling, and its phase shows where the Sun lights it. Light is optically thin
here as everywhere: a disc does not hide the stars behind it.
"""

from __future__ import annotations

import numpy as np
import torch

#: A body is drawn as a disc when its radius spans at least this many pixels (else as a point with the PSF): its
#: samples then sum to its light within 1 % from 3 pixels, 3 % at 2 (a thin crescent's few lit samples).
DISC_MIN_PX = 2.0
#: Samples a pixel, along each axis: 8 for a disc under SMALL_DISC_PX in radius (its sum within 1 %), else 4.
SUBSAMPLES = 4
SMALL_SUBSAMPLES = 8
SMALL_DISC_PX = 8.0
#: The grid of the sphere's normals the normalisation integrates over (64 x 128).
NORMAL_STEPS = 64


def radius_px(centre_cam: np.ndarray, radius: float, focal_px: float) -> float:
    """The radius in pixels of a sphere at ``centre_cam`` (camera coordinates, the units of ``radius``)."""
    distance = float(np.linalg.norm(centre_cam))
    return focal_px * radius / max(np.sqrt(max(distance**2 - radius**2, 0.0)), 1e-300)


def subsamples(radius: float) -> int:
    """Samples along each axis of a pixel for a disc of ``radius`` pixels."""
    return SMALL_SUBSAMPLES if radius < SMALL_DISC_PX else SUBSAMPLES


def normalisation(centre_cam: np.ndarray, radius: float, sun_cam: np.ndarray | None) -> float:
    """The sum a disc's samples reach: the solid angle the visible sphere fills at the camera (the origin), each part
    weighted by the sunlight it takes (Lambert's cos; the Sun: 1), integrated over the sphere's surface on a grid of
    NORMAL_STEPS x 2 NORMAL_STEPS (the near view's smaller cap included, which the far-field phase integral leaves out)."""
    theta = (np.arange(NORMAL_STEPS) + 0.5) * np.pi / NORMAL_STEPS
    phi = (np.arange(2 * NORMAL_STEPS) + 0.5) * np.pi / NORMAL_STEPS
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    normal = np.stack(np.broadcast_arrays(st * np.cos(phi), st * np.sin(phi), ct), axis=-1)
    area = radius * radius * st * (np.pi / NORMAL_STEPS) ** 2  # dA of each cell
    to_eye = -(centre_cam + radius * normal)
    distance = np.linalg.norm(to_eye, axis=-1)
    facing = np.clip(np.sum(normal * to_eye, axis=-1) / distance, 0, None)  # cos of the view's angle, 0 on the far side
    if sun_cam is None:
        weight = 1.0
    else:
        weight = np.clip(normal @ ((sun_cam - centre_cam) / np.linalg.norm(sun_cam - centre_cam)), 0, None)
    return float(np.sum(weight * facing * area / (distance * distance)))


def bounding_box(centre_cam: np.ndarray, radius: float, K: np.ndarray, width: int, height: int) -> tuple[int, int, int, int] | None:
    """The pixels (u0, u1, v0, v1, end exclusive) that may see the sphere: the projection of its bounding cube,
    clipped to the image; None when the cube reaches behind the camera or misses the image."""
    corners = centre_cam + radius * np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], np.float64)
    if np.any(corners[:, 2] <= 0):
        return None
    u = K[0, 0] * corners[:, 0] / corners[:, 2] + K[0, 2]
    v = K[1, 1] * corners[:, 1] / corners[:, 2] + K[1, 2]
    u0, u1 = max(int(np.floor(u.min())), 0), min(int(np.floor(u.max())) + 1, width)
    v0, v1 = max(int(np.floor(v.min())), 0), min(int(np.floor(v.max())) + 1, height)
    return (u0, u1, v0, v1) if u0 < u1 and v0 < v1 else None


def disc_light(centre_cam: np.ndarray, radius: float, sun_cam: np.ndarray | None, K: np.ndarray,
               box: tuple[int, int, int, int]) -> np.ndarray:
    """``[v1 - v0, u1 - u0]``: each pixel's share of the body's flux (they sum to about 1 over the disc)."""
    u0, u1, v0, v1 = box
    n = subsamples(radius_px(centre_cam, radius, K[0, 0]))
    offsets = (np.arange(n) + 0.5) / n
    us = (np.arange(u0, u1)[:, None] + offsets).reshape(-1)  # every sample's u, pixel by pixel
    vs = (np.arange(v0, v1)[:, None] + offsets).reshape(-1)
    x = (us - K[0, 2]) / K[0, 0]
    y = (vs - K[1, 2]) / K[1, 1]
    rays = np.stack(np.broadcast_arrays(x[None, :], y[:, None], np.ones((len(vs), len(us)))), axis=-1)
    length = np.linalg.norm(rays, axis=-1)
    rays = rays / length[..., None]
    b = rays @ centre_cam
    disc = b * b - (centre_cam @ centre_cam - radius * radius)
    hit = disc >= 0
    t = b - np.sqrt(np.where(hit, disc, 0.0))
    normal = (t[..., None] * rays - centre_cam) / radius
    if sun_cam is None:
        weight = hit.astype(np.float64)
    else:
        to_sun = (sun_cam - centre_cam) / np.linalg.norm(sun_cam - centre_cam)
        weight = np.where(hit, np.clip(normal @ to_sun, 0, None), 0.0)
    solid_angle = rays[..., 2] ** 3 / (K[0, 0] * K[1, 1] * n * n)  # cos^3 / f^2 for each sample
    samples = weight * solid_angle
    total = samples.reshape(v1 - v0, n, u1 - u0, n).sum(axis=(1, 3))
    norm = normalisation(centre_cam, radius, sun_cam)
    return total / norm if norm > 0 else np.zeros_like(total)


def add_disc(image: torch.Tensor, centre_cam: np.ndarray, radius: float, sun_cam: np.ndarray | None, flux: float,
             colour: np.ndarray, K: np.ndarray) -> bool:
    """Add a body's disc of ``flux`` (linear, at the camera) into ``image`` (``[H, W, 3]``); False when nothing of it
    is in view."""
    height, width = image.shape[:2]
    box = bounding_box(centre_cam, radius, K, width, height)
    if box is None:
        return False
    share = disc_light(centre_cam, radius, sun_cam, K, box)
    u0, u1, v0, v1 = box
    image[v0:v1, u0:u1] += torch.as_tensor(flux * share[..., None] * np.asarray(colour, np.float64)[None, None, :], dtype=image.dtype)
    return True
