"""Renderers of the one photometric scale (:mod:`helios.photometry`), used by ``helios render``, the report and the levels.

* :mod:`helios.render.points`: stars as point sources (a pixel-integrated Gaussian PSF), float64 flux.
* :mod:`helios.render.glow`: Gaussians as optically thin light (normalised EWA projection, PSF widened), differentiable.
* :mod:`helios.render.sky`: a universe seen from any camera, every cell as points or at the level the rule picks.

The seed trainer's splat rasterisers live with it, in :mod:`helios.seed.render`.
"""
