"""The fused SSIM kernels against pytorch_msssim (values and gradients); they need CUDA."""

import pytest
import torch
from pytorch_msssim import ssim

from helios.seed.training.objective import gaussian_window, gaussian_window_1d, nchw

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]
TAPS = tuple(gaussian_window_1d().tolist())


def star_field(n: int, height: int, width: int, seed: int) -> torch.Tensor:
    """Mostly black images with a few bright blobs: what the trainer compares."""
    g = torch.Generator().manual_seed(seed)
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float32), torch.arange(width, dtype=torch.float32), indexing="ij")
    images = torch.zeros(n, height, width, 3)
    for i in range(n):
        for _ in range(12):
            cy, cx = torch.rand(2, generator=g) * torch.tensor([height, width])
            sigma = 0.6 + 2 * torch.rand(1, generator=g)
            blob = torch.exp(-((ys - cy) ** 2 + (xs - cx) ** 2) / (2 * sigma**2))
            images[i] += blob[..., None] * torch.rand(3, generator=g)
    return images.clamp(0, 1)


def noisy_copy_of(target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (target + 0.05 * torch.randn_like(target)).clamp(0, 1), target


def reference(images: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ssim(nchw(images), nchw(target), data_range=1.0, size_average=False, win=gaussian_window(images.shape[-1], images.device))


CASES = {
    "noise 64x80": lambda: (torch.rand(5, 64, 80, 3), torch.rand(5, 64, 80, 3)),
    "stars 37x53 (partial tiles)": lambda: (star_field(3, 37, 53, 1), star_field(3, 37, 53, 2)),
    "stars vs noisy stars 256": lambda: noisy_copy_of(star_field(4, 256, 256, 3)),
    "smallest 11x11": lambda: (torch.rand(2, 11, 11, 3), torch.rand(2, 11, 11, 3)),
}


@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_pytorch_msssim(case: str) -> None:
    from helios.seed.accel.fused_ssim import fused_ssim

    images, target = (t.cuda() for t in CASES[case]())
    weights = torch.linspace(0.5, 2.0, len(images), device="cuda")  # a different upstream gradient per image
    ours_in, ref_in = images.clone().requires_grad_(True), images.clone().requires_grad_(True)
    ours, ref = fused_ssim(ours_in, target, TAPS), reference(ref_in, target)
    (ours * weights).sum().backward()
    (ref * weights).sum().backward()
    assert ours.shape == ref.shape == (len(images),)
    assert torch.allclose(ours, ref, atol=2e-6, rtol=0), (ours - ref).abs().max()
    scale = ref_in.grad.abs().max()
    assert scale > 0
    assert (ours_in.grad - ref_in.grad).abs().max() <= 1e-4 * scale, ((ours_in.grad - ref_in.grad).abs().max(), scale)


L1_CASES = {**CASES, "stars 256x250 (the last tiles own 18 rows)": lambda: noisy_copy_of(star_field(3, 256, 250, 5)),
            "equal pixels (no L1 gradient there)": lambda: (lambda t: (torch.where(t > 0.5, t, 0.0), t))(star_field(2, 40, 70, 6))}


@pytest.mark.parametrize("case", L1_CASES)
def test_l1_rides_along_with_the_values_and_gradients_of_pytorch(case: str) -> None:
    """The training loss's image part, per image weights on both terms, against torch.abs(...).mean() and pytorch_msssim."""
    from helios.seed.accel.fused_ssim import fused_l1_ssim

    images, target = (t.cuda() for t in L1_CASES[case]())
    w_l1, w_ssim = torch.linspace(0.5, 2.0, len(images), device="cuda"), torch.linspace(1.5, 0.2, len(images), device="cuda")
    ours_in, ref_in = images.clone().requires_grad_(True), images.clone().requires_grad_(True)
    l1, similarity = fused_l1_ssim(ours_in, target, TAPS)
    ref_l1, ref_similarity = torch.abs(ref_in - target).mean(dim=(1, 2, 3)), reference(ref_in, target)
    (w_l1 * l1 + w_ssim * (1 - similarity)).sum().backward()
    (w_l1 * ref_l1 + w_ssim * (1 - ref_similarity)).sum().backward()
    assert torch.allclose(l1, ref_l1, atol=1e-6, rtol=1e-5), (l1 - ref_l1).abs().max()
    assert torch.allclose(similarity, ref_similarity, atol=2e-6, rtol=0)
    scale = ref_in.grad.abs().max()
    assert (ours_in.grad - ref_in.grad).abs().max() <= 1e-4 * scale, ((ours_in.grad - ref_in.grad).abs().max(), scale)
    # L1 alone (no SSIM gradient asked for): exactly sign(x - y) / count.
    only = images.clone().requires_grad_(True)
    fused_l1_ssim(only, target, TAPS)[0].sum().backward()
    assert torch.equal(only.grad, torch.sign(images - target) / images[0].numel())


def test_identical_images_score_one_and_no_gradient_pass_is_allowed() -> None:
    from helios.seed.accel.fused_ssim import fused_ssim

    images = star_field(2, 32, 32, 4).cuda()
    with torch.no_grad():
        assert torch.allclose(fused_ssim(images, images, TAPS), torch.ones(2, device="cuda"), atol=1e-6)


def test_the_target_gets_no_gradient_and_bad_shapes_are_refused() -> None:
    from helios.seed.accel.fused_ssim import fused_ssim

    images = torch.rand(1, 16, 16, 3, device="cuda")
    with pytest.raises(ValueError, match="detach"):
        fused_ssim(images, images.clone().requires_grad_(True), TAPS)
    with pytest.raises(ValueError, match="at least 11 x 11 pixels"):
        fused_ssim(torch.rand(1, 8, 16, 3, device="cuda"), torch.rand(1, 8, 16, 3, device="cuda"), TAPS)
    with pytest.raises(ValueError, match="same shape"):
        fused_ssim(images, torch.rand(1, 16, 17, 3, device="cuda"), TAPS)
    with pytest.raises(ValueError, match="float32 CUDA"):
        fused_ssim(images.double(), images.double(), TAPS)
