import math

import pytest
import torch
from pytorch_msssim import ssim

from helios.seed.training import TrainOptions
from helios.seed.training.objective import PARTS, ImageLoss, gaussian_window, image_quality, nchw, psnr, regularisers
from helios.seed.training.problem import prepare_cell
from helios.seed.training.trainees import OneCell
from tests.seed.training.test_train import cluster


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
    l1, dssim = ImageLoss(torch.device("cpu"))(images, target)
    assert l1.shape == dssim.shape == (3,)
    assert torch.allclose(l1.mean(), torch.abs(images - target).mean())
    assert torch.allclose(1 - dssim.mean(), ssim(nchw(images), nchw(target), data_range=1.0), atol=1e-7)
    # Each image's terms depend on that image alone.
    l1_first, dssim_first = ImageLoss(torch.device("cpu"))(images[:1], target[:1])
    assert torch.allclose(l1_first, l1[:1]) and torch.allclose(dssim_first, dssim[:1], atol=1e-7)


def test_psnr_and_image_quality() -> None:
    assert psnr(0.01) == pytest.approx(20.0)
    assert psnr(0.0) == float("inf")
    images, target = _pair(4)
    quality = image_quality(torch.stack([images[:2], target[2:]]), torch.stack([target[:2], target[2:]]), ImageLoss(torch.device("cpu")))
    mse = ((images[:2] - target[:2]) ** 2).mean().item()
    assert quality[0][0] == pytest.approx(psnr(mse), rel=1e-5) and quality[0][1] < 1
    assert quality[1] == (float("inf"), pytest.approx(1.0, abs=1e-6))  # a perfect scene


def test_ssim_choice_on_the_cpu() -> None:
    """On the CPU the SSIM term is pytorch_msssim's at data_range 1 (its default, 255, reads about 1 for any pair)."""
    loss = ImageLoss(torch.device("cpu"))
    assert loss.ssim == "pytorch_msssim" and loss._kernels is None
    images, target = _pair()
    _, dssim = loss(images, target)
    expected = ssim(nchw(images), nchw(target), data_range=1.0, size_average=False)
    assert torch.allclose(1 - dssim, expected, atol=1e-7)
    assert (ssim(nchw(images), nchw(target), size_average=False) - (1 - dssim)).min() > 0.01  # data_range 255 would show


def test_regularisers_are_zero_for_round_splats_and_grow_with_elongation():
    round_ = torch.zeros(5, 3)
    isotropy, collapse = regularisers(round_, 0.1)
    assert isotropy.item() == 0 and collapse.item() == 0
    flat = torch.tensor([[0.0, 0.0, math.log(0.01)]])  # smallest/largest = 0.01 < 0.1
    isotropy, collapse = regularisers(flat, 0.1)
    assert isotropy.item() > 0 and collapse.item() == pytest.approx(math.log(0.1) - math.log(0.01), rel=1e-6)


def test_weighted_regularisers_are_each_scenes_own_over_its_own_splats():
    generator = torch.Generator().manual_seed(3)
    scenes = [torch.randn(n, 3, generator=generator) for n in (7, 3)]
    padded = torch.full((2, 7, 3), 5.0)
    padded[0], padded[1, :3] = scenes[0], scenes[1]
    padded[1, 3:, 2] = -9.0  # padding that would dominate both terms if it counted
    weights = torch.zeros(2, 7)
    weights[0], weights[1, :3] = 1.0, 1.0
    isotropy, collapse = regularisers(padded, 0.1, weights)
    for b, scene in enumerate(scenes):
        alone = regularisers(scene, 0.1)
        assert isotropy[b].item() == pytest.approx(alone[0].item(), rel=1e-6)
        assert collapse[b].item() == pytest.approx(alone[1].item(), rel=1e-6, abs=1e-9)


def test_a_cells_loss_is_the_weighted_sum_of_its_parts():
    options = TrainOptions(image_size=32, views_per_iter=2, train_views=8, iterations=5, backend="torch")
    device = torch.device("cpu")
    trainee = OneCell(prepare_cell(cluster(40), options, device), options, "torch", device, ImageLoss(device))
    *activated, isotropy, collapse = trainee.before(*trainee.raw())
    images, _ = trainee.render(0, *activated, with_info=True)
    loss, parts = trainee.after(images, trainee.pick(0), isotropy, collapse)
    values = dict(zip(PARTS, parts[:, 0].tolist()))
    expected = (0.8 * values["l1"] + 0.2 * values["dssim"] + options.lambda_isotropy * values["isotropy"]
                + options.lambda_collapse * values["collapse"])
    assert loss.item() == pytest.approx(expected, rel=1e-6) and values["loss"] == pytest.approx(expected, rel=1e-6)
    assert parts.shape == (5, 1) and not parts.requires_grad and loss.requires_grad
    assert values["l1"] > 0 and 0 < values["dssim"] < 1
