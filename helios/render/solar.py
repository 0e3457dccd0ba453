"""The Sun and the planets drawn into a rendered sky (``helios render --solar-system``): points on the photometric
scale, each with the magnitude it shows the camera (:func:`helios.solar.bodies`)."""

from __future__ import annotations

import torch

from helios import solar
from helios.cameras import Views, camera_position
from helios.render.points import DEFAULT_PSF_SIGMA_PX, render_points


def add_solar_system(image: torch.Tensor, views: Views, epoch: float, frame: str = "icrs",
                     psf_sigma_px: float = DEFAULT_PSF_SIGMA_PX, device: str | torch.device = "cpu") -> torch.Tensor:
    """Add the Sun and the planets at ``epoch`` to ``image`` (``[C, H, W, 3]`` linear flux), camera by camera."""
    for c in range(len(views)):
        seen = solar.bodies(epoch, camera_position(views, c), frame)
        render_points(seen["positions_pc"], seen["colours"], seen["abs_mag"], views.subset(torch.tensor([c])), psf_sigma_px, device,
                      out=image[c:c + 1])
    return image
