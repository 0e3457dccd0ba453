"""Measuring rendered images as an astronomer would: where stars fall, and aperture photometry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from helios.cameras import Views


def project(positions: np.ndarray, views: Views, c: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel coordinates ``(x, y)`` of points ``[N, 3]`` in camera ``c`` (pixel centres at half-integers),
    and their depth along the viewing axis (negative behind the camera)."""
    view = views.viewmats[c].double().numpy()
    K = views.Ks[c].double().numpy()
    cam = np.asarray(positions, dtype=np.float64) @ view[:3, :3].T + view[:3, 3]
    with np.errstate(divide="ignore", invalid="ignore"):
        x = K[0, 0] * cam[:, 0] / cam[:, 2] + K[0, 2]
        y = K[1, 1] * cam[:, 1] / cam[:, 2] + K[1, 2]
    return x, y, cam[:, 2]


def aperture_flux(image: np.ndarray, x: np.ndarray, y: np.ndarray, radius: float, annulus: tuple[float, float]) -> np.ndarray:
    """Flux within ``radius`` pixels of each ``(x, y)`` minus the local background.

    ``image`` is ``[H, W]`` (one channel or luminance).  A pixel belongs to the aperture when its
    centre lies within ``radius``; the background per pixel is the median of the pixels whose
    centres lie in the ``annulus`` (inner, outer radius), times the aperture's pixel count.
    Positions whose annulus leaves the image give NaN.
    """
    height, width = image.shape
    outer = annulus[1]
    reach = int(np.ceil(outer))
    offsets = np.arange(-reach, reach + 1)
    fluxes = np.full(len(x), np.nan)
    for i, (cx, cy) in enumerate(zip(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))):
        px = np.floor(cx).astype(int) + offsets
        py = np.floor(cy).astype(int) + offsets
        if px[0] < 0 or py[0] < 0 or px[-1] >= width or py[-1] >= height:
            continue
        distance = np.hypot(px[None, :] + 0.5 - cx, py[:, None] + 0.5 - cy)
        patch = image[py[0]:py[-1] + 1, px[0]:px[-1] + 1]
        inside = distance <= radius
        ring = (distance >= annulus[0]) & (distance <= outer)
        fluxes[i] = patch[inside].sum() - np.median(patch[ring]) * inside.sum()
    return fluxes


#: The six faces of a cube around the camera (forward, up); 100-degree faces overlap, so every
#: direction lies at least 5 degrees inside the face it is measured on.
CUBE_FACES = (((1, 0, 0), (0, 0, 1)), ((-1, 0, 0), (0, 0, 1)), ((0, 1, 0), (0, 0, 1)), ((0, -1, 0), (0, 0, 1)),
              ((0, 0, 1), (1, 0, 0)), ((0, 0, -1), (1, 0, 0)))
CUBE_FACE_FOV = 100.0


@dataclass(frozen=True)
class SkyPhotometry:
    """Aperture photometry of the bright stars of a universe seen from one place."""

    cell: np.ndarray  # [N] cell id of each star
    catalogue_mag: np.ndarray  # [N] the catalogue's apparent magnitude (from the Sun)
    expected_mag: np.ndarray  # [N] apparent magnitude at the eye, from the catalogue's magnitude and distance
    measured_mag: np.ndarray  # [N] aperture photometry of the rendered image
    corrected_mag: np.ndarray  # [N] the same, less the light the catalogue's other stars put in the aperture
    isolated: np.ndarray  # [N] bool: other stars within the outer annulus hold < 1 % of its flux

    @property
    def error(self) -> np.ndarray:
        """Corrected minus expected magnitude."""
        return self.corrected_mag - self.expected_mag


def _cutout(views: Any, x: float, y: float, half: int) -> tuple[Any, float, float]:
    """A ``2 half`` pixel square of camera 0's image around ``(x, y)``, as a camera of its own."""
    from helios.cameras import Views

    x0, y0 = int(np.floor(x)) - half, int(np.floor(y)) - half
    K = views.Ks.clone()
    K[0, 0, 2] -= x0
    K[0, 1, 2] -= y0
    return Views(views.viewmats, K, 2 * half, 2 * half), x - x0, y - y0


def sky_photometry(universe: Any, eye: np.ndarray, brighter_than: float, size: int = 1024, radius: float = 3.0,
                   annulus: tuple[float, float] = (5.0, 8.0), device: str = "cpu", render: Any = None) -> SkyPhotometry:
    """Render the whole sky from ``eye`` as six cube faces (``render(universe, views)`` gives their
    linear images; by default every star as a point) and measure every star whose apparent
    magnitude at the eye is brighter than ``brighter_than`` on the face nearest its direction.

    The light of other stars in a star's aperture and annulus is predicted from the catalogue
    (those stars alone, drawn as points on a cut-out of the same camera, measured the same way) and
    subtracted: ``corrected_mag``.  ``isolated`` marks the stars that need no correction.
    """
    import pyarrow.parquet as pq

    from helios.cameras import pinhole
    from helios.photometry import apparent_magnitude, flux_from_magnitude, luminance, magnitude_from_flux, unit_luminance
    from helios.render.points import DEFAULT_PSF_SIGMA_PX, render_points
    from helios.render.sky import render_sky

    eye = np.asarray(eye, dtype=np.float64)
    render = render or (lambda u, v: render_sky(u, v, device=device))
    columns = ["x_pc", "y_pc", "z_pc", "phot_g_mean_mag", "abs_mag_g"]
    tables = [pq.read_table(universe.root / entry["file"], columns=columns) for entry in universe.cells]
    cells = np.concatenate([np.full(t.num_rows, e["id"], dtype=object) for t, e in zip(tables, universe.cells)])
    positions = np.concatenate([np.stack([t.column(c).to_numpy() for c in columns[:3]], axis=1) for t in tables])
    catalogue = np.concatenate([t.column("phot_g_mean_mag").to_numpy() for t in tables])
    abs_mag = np.concatenate([t.column("abs_mag_g").to_numpy() for t in tables])
    expected = apparent_magnitude(abs_mag, np.linalg.norm(positions - eye, axis=1))
    flux = flux_from_magnitude(expected)
    bright = np.flatnonzero(expected < brighter_than)
    direction = positions - eye
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    face_of = np.argmax(direction @ np.array([face[0] for face in CUBE_FACES], dtype=np.float64).T, axis=1)
    measured, corrected = np.full(len(bright), np.nan), np.full(len(bright), np.nan)
    isolated = np.zeros(len(bright), dtype=bool)
    reach = annulus[1] + 4 * DEFAULT_PSF_SIGMA_PX + 1  # how far another star's light can enter the annulus
    half = int(np.ceil(reach)) + 1
    white = unit_luminance(np.ones((1, 3)))
    for f, (forward, up) in enumerate(CUBE_FACES):
        chosen = np.flatnonzero(face_of[bright] == f)
        if not len(chosen):
            continue
        views = pinhole(eye, eye + np.asarray(forward, dtype=np.float64), CUBE_FACE_FOV, size, size, np.asarray(up, dtype=np.float64))
        image = luminance(render(universe, views)[0].astype(np.float64))
        x, y, depth = project(positions, views)
        visible = np.flatnonzero((depth > 0) & (x > -reach) & (x < size + reach) & (y > -reach) & (y < size + reach))
        stars = bright[chosen]
        raw = aperture_flux(image, x[stars], y[stars], radius, annulus)
        for k, star, star_flux in zip(chosen, stars, raw):
            others = visible[(np.hypot(x[visible] - x[star], y[visible] - y[star]) <= reach) & (visible != star)]
            isolated[k] = flux[others].sum() < 0.01 * flux[star]
            spill = 0.0
            if len(others):
                cut, cx, cy = _cutout(views, x[star], y[star], half)
                light = render_points(positions[others], np.repeat(white, len(others), 0), abs_mag[others], cut)[0].numpy()
                spill = aperture_flux(luminance(light), np.array([cx]), np.array([cy]), radius, annulus)[0]
            measured[k] = magnitude_from_flux(star_flux)
            corrected[k] = magnitude_from_flux(star_flux - spill)
    return SkyPhotometry(cells[bright], catalogue[bright], expected[bright], measured, corrected, isolated)
