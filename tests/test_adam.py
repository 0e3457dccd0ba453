import subprocess
import sys

import torch

from helios.adam import FusedAdam, merged


def _params(seed: int):
    generator = torch.Generator().manual_seed(seed)
    return [torch.randn(7, 3, generator=generator).requires_grad_(True), torch.randn(7, generator=generator).requires_grad_(True)]


def test_same_updates_as_torch_optim_adam():
    ours, theirs = _params(0), _params(0)
    ours_opt = FusedAdam([{"params": [ours[0]], "lr": 0.01, "name": "a"}, {"params": [ours[1]], "lr": 0.2, "name": "b"}])
    reference = torch.optim.Adam([{"params": [theirs[0]], "lr": 0.01}, {"params": [theirs[1]], "lr": 0.2}], eps=1e-15)
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):
        grads = [torch.randn(p.shape, generator=generator) for p in ours]
        for p, q, g in zip(ours, theirs, grads):
            p.grad, q.grad = g.clone(), g.clone()
        ours_opt.step()
        reference.step()
        ours_opt.zero_grad()
        reference.zero_grad()
    for p, q in zip(ours, theirs):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert all(p.grad is None for p in ours)
    assert ours_opt.state[ours[0]]["step"].item() == 20


def test_merged_keeps_groups_and_moments():
    params = _params(2)
    optimizers = {name: FusedAdam([{"params": [p], "lr": 0.1, "name": name}]) for name, p in zip("ab", params)}
    for p in params:
        p.grad = torch.ones_like(p)
    for optimizer in optimizers.values():
        optimizer.step()
    together = merged(optimizers)
    assert [g["name"] for g in together.param_groups] == ["a", "b"]
    assert together.state[params[0]]["step"].item() == 1 and together.state[params[1]]["exp_avg"].abs().sum() > 0


def test_training_never_imports_torch_dynamo():
    """torch.optim's first use imports torch._dynamo (over a second per process); HELIOS's training must not."""
    code = (
        "import sys, numpy as np, tempfile, pathlib\n"
        "from helios.cell import CellStars\n"
        "from helios.seed.training import TrainOptions, train_cell\n"
        "rng = np.random.default_rng(0)\n"
        "cell = CellStars('3_1_1', rng.uniform(-0.5, 0.5, (20, 3)), rng.uniform(0.3, 1, (20, 3)), rng.normal(3, 1, 20), np.zeros(3), 10.0, 0)\n"
        "out = pathlib.Path(tempfile.mkdtemp())\n"
        "train_cell(cell, out / 'c.ply', out / 'c.json', TrainOptions(iterations=30, image_size=24, views_per_iter=1, train_views=2,"
        " eval_views=1, densify_from=5, densify_interval=5, densify_until=20, select_every=5, backend='torch'))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
