"""HELIOS's direct gsplat calls (pinned gsplat only) against ``gsplat.rasterization`` itself (skips without CUDA)."""

import pytest
import torch

from helios.cameras import Views, sample_views
from helios.seed.accel.gsplat_direct import applies
from helios.seed.accel.gsplat_direct import rasterize_gsplat_direct as rasterize_gsplat
from helios.seed.render import gsplat_backend
from helios.seed.render.gsplat_backend import EPS2D, NEAR_PLANE, TILE_SIZE
from tests.seed.render.test_torch_raster import scene

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")]


def rasterize_gsplat_reference(means, quats, scales, opacities, colors, views):
    """The same image through ``gsplat.rasterization`` itself."""
    from gsplat import rasterization

    images, _, _ = rasterization(means, quats, scales, opacities, colors, views.viewmats, views.Ks, views.width, views.height,
                                 near_plane=NEAR_PLANE, eps2d=EPS2D, packed=False, rasterize_mode="classic", tile_size=TILE_SIZE)
    return images


def images_and_gradients(render, base, views, weights):
    params = [t.clone().requires_grad_(True) for t in base]
    images = render(*params, views)
    images = images[0] if isinstance(images, tuple) else images
    (images * weights).sum().backward()
    return images.detach(), [p.grad for p in params]


@pytest.mark.parametrize("batch", [None, 3])
def test_direct_calls_render_what_gsplat_rasterization_renders(batch):
    views = sample_views(4, 64, seed=5).to("cuda")
    base = [t.cuda() for t in scene(n=400, seed=6)]
    if batch:  # three scenes of the same size, each through its own cameras
        scenes = [[t.cuda() for t in scene(n=400, seed=6 + b)] for b in range(batch)]
        base = [torch.stack(parts) for parts in zip(*scenes)]
        views = Views(torch.stack([views.viewmats] * batch), torch.stack([views.Ks] * batch), 64, 64)
    weights = torch.rand(*views.viewmats.shape[:-2], 64, 64, 3, generator=torch.Generator().manual_seed(7)).cuda()
    direct, direct_grads = images_and_gradients(rasterize_gsplat, base, views, weights)
    wrapper, wrapper_grads = images_and_gradients(rasterize_gsplat_reference, base, views, weights)
    assert direct.shape == wrapper.shape and direct.abs().max() > 0.1
    assert torch.equal(direct, wrapper)  # the same kernels on the same inputs
    for name, g_direct, g_wrapper in zip(("means", "quats", "scales", "opacities", "colors"), direct_grads, wrapper_grads):
        assert torch.allclose(g_direct, g_wrapper, rtol=1e-4, atol=1e-6 * g_wrapper.abs().max().item()), name  # atomics: last bits


def test_info_carries_what_the_densification_strategy_reads():
    views = sample_views(2, 64, seed=5).to("cuda")
    params = [t.cuda().requires_grad_(True) for t in scene(n=50, seed=6)]
    images, info = rasterize_gsplat(*params, views)
    info["means2d"].retain_grad()
    images.sum().backward()
    assert info["means2d"].grad.shape == (2, 50, 2) and info["radii"].shape == (2, 50, 2)
    assert (info["width"], info["height"], info["n_cameras"]) == (64, 64, 2)


@pytest.mark.parametrize("batch", [None, 3])
def test_one_autograd_node_renders_and_differentiates_as_the_four_calls(batch):
    """``with_info=False`` (no densification): gsplat's kernels through HELIOS's one autograd node, against gsplat's wrappers."""
    views = sample_views(4, 64, seed=8).to("cuda")
    base = [t.cuda() for t in scene(n=300, seed=9)]
    if batch:
        base = [torch.stack(parts) for parts in zip(*[[t.cuda() for t in scene(n=300, seed=9 + b)] for b in range(batch)])]
        views = Views(torch.stack([views.viewmats] * batch), torch.stack([views.Ks] * batch), 64, 64)
    weights = torch.rand(*views.viewmats.shape[:-2], 64, 64, 3, generator=torch.Generator().manual_seed(10)).cuda()
    fused, fused_grads = images_and_gradients(lambda *a: rasterize_gsplat(*a, with_info=False), base, views, weights)
    wrapped, wrapped_grads = images_and_gradients(rasterize_gsplat, base, views, weights)
    assert torch.equal(fused, wrapped) and fused.abs().max() > 0.1
    for name, a, b in zip(("means", "quats", "scales", "opacities", "colors"), fused_grads, wrapped_grads):
        assert a.shape == b.shape and b.abs().max() > 0, name
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-6 * b.abs().max().item()), name  # atomics: last bits
    with torch.no_grad():
        assert torch.equal(rasterize_gsplat(*base, views, with_info=False)[0], fused)


def test_the_direct_calls_apply_to_the_pinned_gsplat_only(monkeypatch):
    import gsplat

    applies.cache_clear()
    assert applies() == (gsplat.__version__ == "1.5.3")
    monkeypatch.setattr(gsplat, "__version__", "9.9.9")
    applies.cache_clear()
    assert not applies()
    applies.cache_clear()


def test_the_public_backend_is_gsplat_rasterization_with_helios_arguments():
    """What renders when the direct calls do not apply: helios.seed.render.gsplat_backend, gsplat's own wrapper."""
    gsplat_backend.ensure_built()
    views = sample_views(3, 64, seed=5).to("cuda")
    base = [t.cuda() for t in scene(n=200, seed=11)]
    images, info = gsplat_backend.rasterize_gsplat(*base, views)
    assert torch.equal(images, rasterize_gsplat_reference(*base, views)) and images.abs().max() > 0.1
    assert info["means2d"].shape == (3, 200, 2) and (info["width"], info["height"], info["n_cameras"]) == (64, 64, 3)
