import math

import pytest
import torch

from helios.cameras import sample_views
from helios.loss import ImageLoss
from helios.objective import PARTS, CellObjective, regularisers
from helios.splats import init_params
from helios.train import TrainOptions


def problem(device, n=40, size=32, views=8, seed=0):
    generator = torch.Generator().manual_seed(seed)
    positions = (torch.rand(n, 3, generator=generator) - 0.5).double().numpy()
    colours = torch.rand(n, 3, generator=generator).double().numpy()
    params = {k: v.to(device).requires_grad_(True) for k, v in init_params(positions, colours, 3.0 + 0 * positions[:, 0]).items()}
    train_views = sample_views(views, size, seed=seed).to(device)
    target = torch.rand(views, size, size, 3, generator=generator).to(device)
    return params, train_views, target


def test_regularisers_are_zero_for_round_splats_and_grow_with_elongation():
    round_ = torch.zeros(5, 3)
    isotropy, collapse = regularisers(round_, 0.1)
    assert isotropy.item() == 0 and collapse.item() == 0
    flat = torch.tensor([[0.0, 0.0, math.log(0.01)]])  # smallest/largest = 0.01 < 0.1
    isotropy, collapse = regularisers(flat, 0.1)
    assert isotropy.item() > 0 and collapse.item() == pytest.approx(math.log(0.1) - math.log(0.01), rel=1e-6)


def test_step_loss_is_the_weighted_sum_of_its_parts():
    options = TrainOptions(image_size=32, views_per_iter=2, train_views=8)
    params, views, target = problem("cpu")
    objective = CellObjective("torch", options, target, ImageLoss(torch.device("cpu")))
    pick = torch.tensor([3, 5])
    loss, parts, _ = objective.step(params, views.subset(pick), pick)
    values = dict(zip(PARTS, parts.tolist()))
    expected = (0.8 * values["l1"] + 0.2 * values["dssim"] + options.lambda_isotropy * values["isotropy"]
                + options.lambda_collapse * values["collapse"])
    assert loss.item() == pytest.approx(expected, rel=1e-6) and values["loss"] == pytest.approx(expected, rel=1e-6)
    assert not parts.requires_grad and loss.requires_grad
    # the same views through ``full`` (no gradient) give the same parts
    assert torch.allclose(objective.full(params, views.subset(pick), target[pick]), parts)
    objective.freeze(params, 2)  # graphs exist on CUDA only: on the CPU this changes nothing
    again, _, _ = objective.step(params, views.subset(pick), pick)
    assert again.item() == loss.item()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")
def test_cuda_graph_step_matches_the_eager_step_over_several_updates():
    device = torch.device("cuda")
    options = TrainOptions(image_size=64, views_per_iter=4, train_views=8)
    graphed_params, views, target = problem(device, n=300, size=64)
    eager_params = {k: v.detach().clone().requires_grad_(True) for k, v in graphed_params.items()}
    graphed = CellObjective("gsplat", options, target, ImageLoss(device))
    eager = CellObjective("gsplat", options, target, ImageLoss(device))
    for step in range(5):  # step 0 before the capture (as training does while densifying), then replays
        if step == 1:
            graphed.freeze(graphed_params, 4)
            assert graphed._before_graph is not None
        pick = torch.tensor([step, step + 1, step + 2, step + 3], device=device)
        g_loss, g_parts, _ = graphed.step(graphed_params, views.subset(pick), pick)
        e_loss, e_parts, _ = eager.step(eager_params, views.subset(pick), pick)
        g_loss.backward()
        e_loss.backward()
        assert torch.allclose(g_parts, e_parts, rtol=1e-5, atol=1e-7)
        largest = max(p.grad.abs().max().item() for p in eager_params.values())
        for name in graphed_params:  # gsplat's atomics make the gradients differ in the last bits
            g, e = graphed_params[name].grad, eager_params[name].grad
            assert torch.allclose(g, e, rtol=1e-3, atol=1e-5 * largest), name
        with torch.no_grad():
            for params in (graphed_params, eager_params):
                for tensor in params.values():
                    tensor -= 0.01 * tensor.grad
                    tensor.grad = None
