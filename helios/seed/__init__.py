"""The seed trainer: every star of a cell as a 3D Gaussian splat, trained with gsplat (CUDA) or HELIOS's PyTorch rasteriser.

One of the products a selected cell can become (``train.ground_truth: starfield`` or ``splats``;
:mod:`helios.seed.product`).  Only this subpackage imports gsplat; the levels of detail (the default
product) never import it.

* :mod:`helios.seed.training`: the training problem, loop, objective, densification and metrics.
* :mod:`helios.seed.render`: the splat rasterisers (gsplat, PyTorch, and the numpy reference/ground truth).
* :mod:`helios.seed.accel`: what exists only for speed on a GPU (CUDA graphs, fused SSIM, GPU slots).
* :mod:`helios.seed.splats`: splat parameters and their PLY files.
"""
