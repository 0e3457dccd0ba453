"""The step runner: eager on the CPU; on CUDA, CUDA-graph replay that matches the eager step."""

import pytest
import torch

from helios.seed.accel import make_step_runner
from helios.seed.accel.step_runner import StepRunner
from helios.seed.training import TrainOptions
from helios.seed.training.objective import ImageLoss
from helios.seed.training.problem import prepare_cell
from helios.seed.training.schedule import Schedule
from helios.seed.training.trainees import CellBatch, OneCell
from tests.seed.training.test_train import cluster


def one_cell(device, backend="torch", n=40, size=32, **options):
    options = TrainOptions(**{"image_size": size, "views_per_iter": 2, "train_views": 8, "iterations": 10, "backend": backend, **options})
    return OneCell(prepare_cell(cluster(n), options, device), options, backend, device, ImageLoss(device)), options


def test_the_cpu_runner_composes_the_trainees_pieces_eagerly():
    device = torch.device("cpu")
    trainee, options = one_cell(device)
    runner = make_step_runner(trainee, Schedule(options).initial_rates, device)
    assert runner._use_graphs is False
    loss, parts, info = runner.forward(3, shapes_final=False)
    *activated, isotropy, collapse = trainee.before(*trainee.raw())
    images, _ = trainee.render(3, *activated, with_info=True)
    expected_loss, expected_parts = trainee.after(images, trainee.pick(3), isotropy, collapse)
    assert torch.equal(loss, expected_loss) and torch.equal(parts, expected_parts)
    assert "means2d" in info  # what a densification strategy reads


def test_one_merged_update_equals_one_update_per_parameter():
    device = torch.device("cpu")
    results = []
    for shapes_final in (False, True):
        trainee, options = one_cell(device)
        runner = make_step_runner(trainee, Schedule(options).initial_rates, device)
        for step in range(3):
            loss, _, _ = runner.forward(step, shapes_final)
            loss.sum().backward()
            runner.update(shapes_final)
            runner.set_lr("means", 1e-3 / (step + 1))
        assert runner.moments(trainee.params["means"])["step"].item() == 3
        results.append({k: v.detach().clone() for k, v in trainee.params.items()})
    for name in results[0]:
        assert torch.equal(results[0][name], results[1][name]), name


def test_set_lr_reaches_the_optimizer_before_and_after_merging():
    device = torch.device("cpu")
    trainee, options = one_cell(device)
    runner = StepRunner(trainee, Schedule(options).initial_rates, use_graphs=False)
    runner.set_lr("means", 0.5)
    assert runner.optimizers["means"].param_groups[0]["lr"] == 0.5
    loss, _, _ = runner.forward(0, True)
    loss.sum().backward()
    runner.update(True)
    runner.set_lr("means", 0.25)
    assert [g["lr"] for g in runner._merged.param_groups if g["name"] == "means"] == [0.25]


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")
@pytest.mark.parametrize("kind", ["cell", "batch"])
def test_cuda_graph_steps_match_the_eager_steps_over_several_updates(kind):
    device = torch.device("cuda")
    options = TrainOptions(image_size=64, views_per_iter=4, train_views=8, iterations=6, backend="gsplat", densify_until=0)

    def make():
        if kind == "cell":
            return OneCell(prepare_cell(cluster(300), options, device), options, "gsplat", device, ImageLoss(device))
        problems = [prepare_cell(cluster(n, seed=n, cell_id=f"3_{n}_1"), options, device) for n in (300, 120, 40)]
        return CellBatch(problems, options, "gsplat", device, ImageLoss(device))

    graphed, eager = make(), make()
    steps = 5
    rates = Schedule(options).initial_rates
    graphed_runner, eager_runner = StepRunner(graphed, rates, use_graphs=True), StepRunner(eager, rates, use_graphs=False)
    for step in range(steps):  # step 0 before the capture (as a cell does while densifying), then replays
        final = step > 0
        g_loss, g_parts, _ = graphed_runner.forward(step, final)
        e_loss, e_parts, _ = eager_runner.forward(step, final)
        assert (graphed_runner._graphs is not None) == final
        g_loss.sum().backward()
        e_loss.sum().backward()
        assert torch.allclose(g_parts, e_parts, rtol=1e-5, atol=1e-7)
        largest = max(p.grad.abs().max().item() for p in eager.params.values())
        for name in graphed.params:  # gsplat's atomics make the gradients differ in the last bits
            g, e = graphed.params[name].grad, eager.params[name].grad
            assert torch.allclose(g, e, rtol=1e-3, atol=1e-5 * largest), name
        graphed_runner.update(final)
        eager_runner.update(final)
    # Adam divides by the gradient's own scale, so where a gradient is at the atomics' noise level
    # (the quaternions of round stars) the last-bit differences can move an element by up to the
    # rate each step. Everything else must agree closely, and nothing may move further than Adam can.
    for name in graphed.params:
        g, e = graphed.params[name].detach(), eager.params[name].detach()
        close = torch.isclose(g, e, rtol=1e-3, atol=1e-5)
        assert close.float().mean().item() >= 0.99, (name, close.float().mean().item())
        assert (g - e).abs().max().item() <= 2 * steps * rates[name], name
