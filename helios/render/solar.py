"""The Sun, the planets and the minor planets drawn into a rendered sky (``helios render --solar-system``): points on
the photometric scale, each with the magnitude it shows the camera (:func:`helios.solar.bodies`,
:func:`helios.minor_planets.seen_from`); the Sun, a planet or the Moon whose radius spans two pixels as a disc of
that light (:mod:`helios.render.discs`)."""

from __future__ import annotations

import numpy as np
import torch

from helios import astro, solar
from helios.cameras import Views, camera_position
from helios.minor_planets import seen_from
from helios.render.discs import DISC_MIN_PX, add_disc, radius_px
from helios.render.points import DEFAULT_PSF_SIGMA_PX, render_points


def add_solar_system(image: torch.Tensor, views: Views, epoch: float, frame: str = "icrs",
                     psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX, device: str | torch.device = "cpu",
                     minor_planets: tuple[dict, np.ndarray] | None = None) -> torch.Tensor:
    """Add the Sun and the planets at ``epoch`` to ``image`` (``[C, H, W, 3]`` linear flux), camera by camera, and the
    minor planets of a ``minor_planets.bin`` (its directory and records) when given."""
    turn = astro.icrs_to_frame(frame)
    for c in range(len(views)):
        camera = views.subset(torch.tensor([c]))
        eye = camera_position(views, c)
        seen = solar.bodies(epoch, eye, frame)
        points = _add_discs(image[c], seen, views.viewmats[c].numpy().astype(np.float64), views.Ks[c].numpy().astype(np.float64))
        render_points(seen["positions_pc"][points], seen["colours"][points], seen["abs_mag"][points], camera, psf_sigma_px, device,
                      out=image[c:c + 1])
        if minor_planets is not None:
            places, abs_mag = seen_from(*minor_planets, epoch, turn.T @ np.asarray(eye, np.float64) / solar.AU_PC)
            colours = np.tile(solar.sun_colour(), (len(places), 1))
            render_points((places @ turn.T) * solar.AU_PC, colours, abs_mag, camera, psf_sigma_px, device, out=image[c:c + 1])
    return image


def draw_orbits(shown: np.ndarray, views: Views, epoch: float, frame: str = "icrs") -> np.ndarray:
    """``shown`` (8-bit, camera 0) with the planets' orbit lines at ``epoch`` drawn over it, as the client draws them
    while the solar system is shown (its key L)."""
    from helios.render.lines import ORBIT_NEAR_PC, ORBIT_RGB, draw_segments

    starts, ends = solar.orbit_segments(epoch, frame)
    return draw_segments(shown, starts, ends, views, ORBIT_RGB, ORBIT_NEAR_PC)


def _add_discs(image: torch.Tensor, seen: dict, viewmat: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Draw the bodies whose radius spans two pixels as discs (helios/render/discs.py); the mask of those left as points."""
    rotation, translation = viewmat[:3, :3], viewmat[:3, 3]
    sun_cam = translation  # the Sun, at the origin
    points = np.ones(len(seen["names"]), bool)
    for k, name in enumerate(seen["names"]):
        radius = solar.RADIUS_KM[name] * solar.KM_PC
        centre = rotation @ seen["positions_pc"][k] + translation
        if centre[2] <= radius or radius_px(centre, radius, K[0, 0]) < DISC_MIN_PX:
            continue
        flux = 10 ** (-0.4 * seen["abs_mag"][k]) * 100 / float(centre @ centre)
        add_disc(image, centre, radius, None if name == "sun" else sun_cam, flux, seen["colours"][k], K)
        points[k] = False
    return points
