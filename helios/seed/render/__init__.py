"""The seed trainer's splat renderers.

* :mod:`helios.seed.render.reference`: ground truth (numpy, float64), independent of
  the renderers being trained: ``starfield`` (emissive points with a Gaussian
  PSF) and ``splats`` (a dense, obvious 3DGS rasteriser, also the oracle for
  the tests of the fast ones).
* :mod:`helios.seed.render.torch_raster`: our differentiable 3DGS rasteriser in
  plain PyTorch (CPU or CUDA), evaluating only the (pixel, Gaussian) pairs in
  each Gaussian's screen footprint.
* :mod:`helios.seed.render.gsplat_backend`: ``gsplat.rasterization`` (CUDA); for the pinned gsplat
  version, the same kernels called directly (``helios.seed.accel.gsplat_direct``).

:func:`rasterize` is the one interface training uses.
"""

from helios.seed.render.backend import BACKENDS, rasterize, rasterize_batch, resolve_backend

__all__ = ["BACKENDS", "rasterize", "rasterize_batch", "resolve_backend"]
