import pytest
import torch
from pytorch_msssim import ssim

from helios.errors import HeliosError
from helios.loss import ImageLoss, gaussian_window, nchw, psnr, resolve_ssim


def _pair(n: int = 3, size: int = 32, device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(n, size, size, 3, generator=generator)
    images = (target + 0.1 * torch.randn(n, size, size, 3, generator=generator)).clamp(0, 1)
    return images.to(device), target.to(device)


def test_window_is_pytorch_msssims_default() -> None:
    images, target = _pair()
    ours = ssim(nchw(images), nchw(target), data_range=1.0, win=gaussian_window())
    default = ssim(nchw(images), nchw(target), data_range=1.0)
    assert torch.allclose(ours, default, atol=1e-7)
    assert gaussian_window().shape == (3, 1, 1, 11)


def test_per_image_terms_average_to_the_batch_figures() -> None:
    images, target = _pair()
    l1, dssim = ImageLoss(torch.device("cpu")).eager(images, target)
    assert l1.shape == dssim.shape == (3,)
    assert torch.allclose(l1.mean(), torch.abs(images - target).mean())
    assert torch.allclose(1 - dssim.mean(), ssim(nchw(images), nchw(target), data_range=1.0), atol=1e-7)
    # Each image's terms depend on that image alone.
    l1_first, dssim_first = ImageLoss(torch.device("cpu")).eager(images[:1], target[:1])
    assert torch.allclose(l1_first, l1[:1]) and torch.allclose(dssim_first, dssim[:1], atol=1e-7)


def test_psnr() -> None:
    assert psnr(0.01) == pytest.approx(20.0)
    assert psnr(0.0) == float("inf")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_graph_replay_matches_eager_values_and_gradients() -> None:
    device = torch.device("cuda")
    loss = ImageLoss(device, graph_shape=(4, 64, 64, 3))
    for seed in range(3):  # replays with new inputs, not the captured ones
        generator = torch.Generator().manual_seed(seed)
        base = torch.rand(4, 64, 64, 3, generator=generator).to(device)
        target = torch.rand(4, 64, 64, 3, generator=generator).to(device)
        graphed_in = base.clone().requires_grad_(True)
        eager_in = base.clone().requires_grad_(True)
        g_l1, g_dssim = loss(graphed_in, target)
        (0.8 * g_l1.sum() + 0.2 * g_dssim.sum()).backward()
        e_l1, e_dssim = loss.eager(eager_in, target)
        (0.8 * e_l1.sum() + 0.2 * e_dssim.sum()).backward()
        assert loss._graphed is not None
        assert torch.allclose(g_l1, e_l1, atol=1e-6) and torch.allclose(g_dssim, e_dssim, atol=1e-6)
        assert torch.allclose(graphed_in.grad, eager_in.grad, atol=1e-7, rtol=1e-4)


def test_ssim_choice_on_the_cpu() -> None:
    cpu = torch.device("cpu")
    assert resolve_ssim("auto", cpu)[0] == "pytorch_msssim"
    assert resolve_ssim("pytorch_msssim", cpu)[0] == "pytorch_msssim"
    with pytest.raises(HeliosError, match="ssim fused was asked for but training runs on the CPU"):
        resolve_ssim("fused", cpu)
    with pytest.raises(HeliosError, match="unknown ssim 'fast'"):
        resolve_ssim("fast", cpu)
    assert ImageLoss(cpu).ssim == "pytorch_msssim"


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_auto_picks_the_fused_kernels_on_cuda_and_they_agree_with_pytorch_msssim() -> None:
    device = torch.device("cuda")
    fused, reference = ImageLoss(device), ImageLoss(device, ssim="pytorch_msssim")
    assert fused.ssim == "fused" and reference.ssim == "pytorch_msssim"
    images, target = _pair(4, 48, "cuda")
    assert torch.allclose(fused.eager(images, target)[1], reference.eager(images, target)[1], atol=2e-6)
