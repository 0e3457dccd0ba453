"""gsplat (CUDA) against our torch rasteriser: same images, same gradients.

Skips without CUDA.  Run on a GPU machine with ``-s`` to see the measured
errors (recorded in BENCHMARKS.md).
"""

import pytest
import torch

from helios.cameras import sample_views
from helios.seed.accel.gsplat_direct import rasterize_gsplat_direct as rasterize_gsplat  # what training uses with gsplat 1.5.3
from helios.seed.render.torch_raster import rasterize_torch
from tests.seed.render.test_torch_raster import scene

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")]


@pytest.mark.parametrize("n, size, n_views", [(300, 128, 2), (2000, 256, 4)])
def test_images_and_gradients_agree(n, size, n_views):
    views = sample_views(n_views, size, seed=11).to("cuda")
    base = [t.cuda() for t in scene(n=n, seed=12)]
    weights = torch.rand(n_views, size, size, 3, generator=torch.Generator().manual_seed(13)).cuda()
    results = {}
    for name, render in (("gsplat", rasterize_gsplat), ("torch", rasterize_torch)):
        params = [t.clone().requires_grad_(True) for t in base]
        images, _ = render(*params, views)
        (images * weights).sum().backward()
        results[name] = (images.detach(), [p.grad.detach() for p in params])
    image_error = (results["gsplat"][0] - results["torch"][0]).abs().max().item()
    print(f"\n{n} Gaussians, {size}px, {n_views} views: max |image difference| = {image_error:.2e}")
    relative = {}
    for label, g_gsplat, g_torch in zip(("means", "quats", "scales", "opacities", "colors"), results["gsplat"][1], results["torch"][1]):
        scale = g_gsplat.abs().max().item()
        error = (g_gsplat - g_torch).abs().max().item()
        relative[label] = error / max(scale, 1e-12)
        print(f"  grad {label}: max |difference| {error:.2e} (max |grad| {scale:.2e}, relative {relative[label]:.2e})")
    # float32 sums in another order, over deep stacks of overlapping Gaussians: ~1e-3 at most.
    assert image_error < 2e-3
    assert max(relative.values()) < 2e-2, relative
