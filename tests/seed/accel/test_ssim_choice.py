"""Which L1 + SSIM implementation training gets for each ``ssim`` option, and why."""

import pytest
import torch

from helios.errors import HeliosError
from helios.seed.accel import choose_l1_ssim
from helios.seed.training.objective import ImageLoss


def test_choice_on_the_cpu() -> None:
    cpu = torch.device("cpu")
    assert choose_l1_ssim("auto", cpu)[::2] == ("pytorch_msssim", None)
    assert choose_l1_ssim("pytorch_msssim", cpu)[0] == "pytorch_msssim"
    with pytest.raises(HeliosError, match="ssim fused was asked for but training runs on the CPU"):
        choose_l1_ssim("fused", cpu)
    with pytest.raises(HeliosError, match="unknown ssim 'fast'"):
        choose_l1_ssim("fast", cpu)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_auto_picks_the_fused_kernels_on_cuda_and_they_agree_with_pytorch_msssim() -> None:
    device = torch.device("cuda")
    fused, reference = ImageLoss(device), ImageLoss(device, ssim="pytorch_msssim")
    assert fused.ssim == "fused" and reference.ssim == "pytorch_msssim"
    generator = torch.Generator().manual_seed(0)
    target = torch.rand(4, 48, 48, 3, generator=generator)
    images = (target + 0.1 * torch.randn(4, 48, 48, 3, generator=generator)).clamp(0, 1)
    images, target = images.to(device), target.to(device)
    assert torch.allclose(fused(images, target)[1], reference(images, target)[1], atol=2e-6)
    assert torch.allclose(fused(images, target)[0], reference(images, target)[0], atol=1e-6)
