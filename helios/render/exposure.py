"""Automatic exposure: the eye adapts to the light in view.

A fixed limiting magnitude suits one place: from the Sun the naked eye's 6.5 mag, but 3 kpc above the
Galactic plane every star is fainter than that and the image is black.  The automatic exposure reads the
light in view the way a camera's meter does, from the image itself, and states its choice as a limiting
magnitude (the exposure of :func:`helios.photometry.exposure_for`):

    p     = the 99.5th percentile of the luminance of the glare's octave 2 of the linear image before glare
            (blurred by about 4.6 px and sampled every 4 px: helios.render.glare.pyramid)
    m_lim = 2.5 log10(AUTO_EXPOSED / (p * LIMIT_EXPOSED_FLUX)),  within [AUTO_LIMITING_MAG_MIN, AUTO_LIMITING_MAG_MAX]

so that the brightest half percent of the view, after blurring, is exposed to ``AUTO_EXPOSED``: the brightest
stars or the densest glow fill the display's range, the rest falls below.  The blur makes a lone bright star
count for less than a region as bright in all, as the eye's adaptation does.  Percentiles interpolate
linearly between order statistics (numpy's default; the browser client computes the same).  The client
eases towards the exposure over time; ``helios render --exposure auto`` takes it at once.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from helios import photometry

if TYPE_CHECKING:  # torch only where an image is metered: the site reads the constants without it
    import torch

#: The octave of the glare pyramid the meter reads.
AUTO_OCTAVE = 2
#: The percentile of its luminance that is exposed to :data:`AUTO_EXPOSED`.
AUTO_PERCENTILE = 99.5
AUTO_EXPOSED = 0.25
#: The limiting magnitudes the exposure stays within (a black view: the faintest).
AUTO_LIMITING_MAG_MIN = 2.0
AUTO_LIMITING_MAG_MAX = 22.0


def auto_limiting_mag(image: np.ndarray | torch.Tensor) -> float:
    """The limiting magnitude the automatic exposure gives a ``[H, W, 3]`` linear image (before glare)."""
    import torch

    from helios.render.glare import pyramid

    linear = torch.as_tensor(np.asarray(image), dtype=torch.float64)
    octave = pyramid(linear, AUTO_OCTAVE + 1)[AUTO_OCTAVE][0]
    luminance = photometry.luminance(octave.permute(1, 2, 0).reshape(-1, 3).numpy())
    p = float(np.percentile(luminance, AUTO_PERCENTILE))
    if not p > 0:
        return AUTO_LIMITING_MAG_MAX
    mag = 2.5 * math.log10(AUTO_EXPOSED / (p * photometry.LIMIT_EXPOSED_FLUX))
    return min(max(mag, AUTO_LIMITING_MAG_MIN), AUTO_LIMITING_MAG_MAX)


def auto_exposure_constants() -> dict[str, float]:
    """The constants of the rule, for the browser client (site.json)."""
    return {"octave": AUTO_OCTAVE, "percentile": AUTO_PERCENTILE, "exposed": AUTO_EXPOSED,
            "min_limiting_mag": AUTO_LIMITING_MAG_MIN, "max_limiting_mag": AUTO_LIMITING_MAG_MAX}
