"""What one cell's optimisation starts from: seed, initial splats, views, ground truth, the views of each step."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from helios.cameras import Views, sample_views
from helios.cell import CellStars
from helios.seed.render.reference import render_splats, render_starfield, starfield_exposure
from helios.seed.splats import InitOptions, activated, init_params
from helios.seed.training.options import TrainOptions
from helios.seeding import cell_seed


def training_views(options: TrainOptions, seed: int) -> tuple[Views, Views]:
    """The cell's training and (disjoint, other seed) evaluation views."""
    return (sample_views(options.train_views, options.image_size, seed=seed),
            sample_views(options.eval_views, options.image_size, seed=seed ^ 0x5EED))


def reference_images(cell: CellStars, options: TrainOptions, views: Views, exposure: float, init: dict[str, torch.Tensor],
                     device: torch.device | str = "cpu") -> torch.Tensor:
    """Ground truth ``[C, H, W, 3]`` (float64) for ``views`` (``init``: the stars' own Gaussians, for ``splats``).

    The star field is rendered on ``device``; the ``splats`` reference (all pairs, numpy) always on the CPU.
    """
    if options.ground_truth == "starfield":
        return render_starfield(cell.positions, cell.rgb, cell.luminosity, views, exposure, options.psf_sigma_px, device)
    means, quats = init["means"], init["quats"]
    scales, opacities, colors = activated(init["scales"], init["opacities"], init["colors"])
    arrays = (t.detach().double().numpy() for t in (means, quats, scales, opacities, colors))
    return torch.from_numpy(np.clip(render_splats(*arrays, views), 0.0, 1.0)).to(device)


@dataclass
class CellProblem:
    """Everything one cell's optimisation starts from (on the training device)."""

    cell: CellStars
    seed: int
    init: dict[str, torch.Tensor]  # pre-activation parameters (CPU), capped at max_splats
    train_views: Views
    eval_views: Views
    exposure: float
    gt_train: torch.Tensor  # [train_views, H, W, 3]
    gt_eval: torch.Tensor  # [eval_views, H, W, 3]
    picks: torch.Tensor  # [iterations, views_per_iter] view indices per step


def _capped(init: dict[str, torch.Tensor], max_splats: int | None) -> dict[str, torch.Tensor]:
    """At most ``max_splats`` initial splats: the most opaque (ties by star order)."""
    n = init["means"].shape[0]
    if max_splats is None or n <= max_splats:
        return init
    keep = torch.sort(torch.argsort(init["opacities"], descending=True, stable=True)[:max_splats]).values
    return {name: tensor[keep] for name, tensor in init.items()}


def prepare_cell(cell: CellStars, options: TrainOptions, device: torch.device, init_options: InitOptions = InitOptions(),
                 say: Callable[[str], None] = lambda message: None) -> CellProblem:
    """Seeds, initial splats, view pools, ground truth and the per-step view choices of one non-empty cell."""
    seed = cell_seed(options.seed, cell.cell_id)
    generator = torch.Generator().manual_seed(seed)
    init = init_params(cell.positions, cell.rgb, cell.abs_mag, init_options, neighbour_device=device)
    train_views, eval_views = training_views(options, seed)
    exposure = starfield_exposure(cell.positions, cell.luminosity, train_views)
    t0 = time.perf_counter()
    gt_train = reference_images(cell, options, train_views, exposure, init, device).to(torch.float32)
    gt_eval = reference_images(cell, options, eval_views, exposure, init, device).to(torch.float32)
    say(f"ground truth ({options.ground_truth}): {len(train_views)} training + {len(eval_views)} evaluation views "
        f"in {time.perf_counter() - t0:.1f} s")
    if options.ground_truth == "splats":
        # The target is the stars' own Gaussians: start from neutral ones at the same places.
        init["opacities"] = torch.full_like(init["opacities"], math.log(0.1 / 0.9))
        init["colors"] = torch.zeros_like(init["colors"])
        init["scales"] = torch.full_like(init["scales"], math.log(init_options.max_scale / 2))
    # All view choices up front, already on the device: no host-to-device copy
    # (and so no wait for the device) inside the loop.
    picks = torch.stack([torch.randperm(len(train_views), generator=generator)[: options.views_per_iter]
                         for _ in range(options.iterations)])
    return CellProblem(cell, seed, _capped(init, options.max_splats), train_views.to(device), eval_views.to(device), exposure,
                       gt_train, gt_eval, picks.to(device))
