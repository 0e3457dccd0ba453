"""Per-cell training: Gaussians initialised from stars, fitted to reference renders.

The loop: render ``views_per_iter`` views drawn from a pool of training views
whose ground truth was rendered once; loss ``(1 - l) L1 + l (1 - SSIM)`` plus
an isotropy and an anti-collapse term on the log-scales; one Adam per
parameter; adaptive density control by gsplat's ``DefaultStrategy`` (with the
1.5.3 opacity-reset bug worked around); an optional cap on the splat count.
A non-finite loss stops training, keeps the best parameters seen and marks the
cell ``diverged``.  Evaluation views are drawn with another seed and are never
trained on.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from gsplat.strategy import DefaultStrategy
from gsplat.strategy.ops import remove, reset_opa

import helios
from helios.adam import FusedAdam
from helios.adam import merged as merged_optimizer
from helios.cameras import Views, sample_views
from helios.cell import CellStars
from helios.errors import HeliosError
from helios.files import write_json
from helios.loss import SSIM_CHOICES, ImageLoss, psnr
from helios.objective import PARTS, CellObjective
from helios.options import from_mapping
from helios.render import rasterize, resolve_backend
from helios.render.reference import render_splats, render_starfield, starfield_exposure
from helios.splats import InitOptions, activated, init_params, write_ply

log = logging.getLogger(__name__)
GROUND_TRUTHS = ("starfield", "splats")
METRICS_FORMAT = "helios-cell-metrics"
METRICS_VERSION = 1


@dataclass(frozen=True)
class TrainOptions:
    """Training settings (the CLI flags and the workflow's ``train:`` section).

    iterations: optimisation steps.  ``loss_initial`` and ``loss_final`` in the
        metrics are the objective over every training view before and after.
    learning_rate: base rate; per-parameter rates are gsplat's defaults scaled
        by ``learning_rate / 0.001``: means 0.16x (decaying to 1 % by the end),
        scales 5x, quats 1x, opacities 50x, colours 2.5x.
    views_per_iter: views rendered per step, drawn from ``train_views``.
    image_size: square image side in pixels.
    lambda_dssim: weight of 1 - SSIM against L1.
    lambda_isotropy: weight of the variance of log-scales across axes.
    lambda_collapse: weight of the penalty on smallest/largest scale below
        ``min_scale_ratio``.
    densify_interval / densify_from / densify_until: adaptive density control
        every ``densify_interval`` steps in (densify_from, densify_until).
    prune_opacity_threshold: splats below this opacity are pruned.
    grow_grad2d: screen-space gradient above which splats are cloned or split.
    opacity_reset_every: reset opacities every this many steps (0: never; a
        reset costs hundreds of steps to recover from in short schedules).
    max_splats: cap on the splat count (None: no cap); the least opaque go.
    backend: ``auto``, ``gsplat`` or ``torch``.
    ssim: ``auto`` (HELIOS's fused CUDA kernels on a GPU when they build,
        else pytorch_msssim), ``fused`` or ``pytorch_msssim``; the same SSIM
        either way (see helios.loss).
    seed: global seed; each cell's seed derives from it and the cell id.
    ground_truth: ``starfield`` or ``splats`` (see helios.render.reference).
    train_views / eval_views: sizes of the view pools (disjoint seeds).
    psf_sigma_px: point-spread width of the star field, pixels.
    curve_every: record the loss curve every this many steps.
    select_every: every this many steps (and at the end) the objective over all
        training views is measured and the best parameters so far are kept;
        the cell's result is the best, never worse than its initialisation.
        Densification and short schedules make the last step a poor choice.
    """

    iterations: int = 1000
    learning_rate: float = 0.001
    views_per_iter: int = 4
    image_size: int = 256
    lambda_dssim: float = 0.2
    lambda_isotropy: float = 0.05
    lambda_collapse: float = 0.1
    min_scale_ratio: float = 0.1
    densify_interval: int = 100
    densify_from: int = 100
    densify_until: int = 800
    prune_opacity_threshold: float = 0.01
    grow_grad2d: float = 0.0002
    opacity_reset_every: int = 0
    max_splats: int | None = None
    backend: str = "auto"
    ssim: str = "auto"
    seed: int = 0
    ground_truth: str = "starfield"
    train_views: int = 32
    eval_views: int = 4
    psf_sigma_px: float = 1.0
    curve_every: int = 10
    select_every: int = 25

    def __post_init__(self) -> None:
        checks = [
            (self.iterations >= 1, "iterations must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (1 <= self.views_per_iter <= self.train_views, "views_per_iter must be between 1 and train_views"),
            (self.image_size >= 16, "image_size must be >= 16 pixels (SSIM uses an 11-pixel window)"),
            (0 <= self.lambda_dssim <= 1, "lambda_dssim must be in [0, 1]"),
            (self.lambda_isotropy >= 0 and self.lambda_collapse >= 0, "regulariser weights must be >= 0"),
            (0 < self.min_scale_ratio <= 1, "min_scale_ratio must be in (0, 1]"),
            (self.densify_interval >= 1, "densify_interval must be >= 1"),
            (self.max_splats is None or self.max_splats >= 1, "max_splats must be >= 1"),
            (self.ssim in SSIM_CHOICES, f"ssim must be one of {', '.join(SSIM_CHOICES)}"),
            (self.ground_truth in GROUND_TRUTHS, f"ground_truth must be one of {', '.join(GROUND_TRUTHS)}"),
            (self.eval_views >= 1, "eval_views must be >= 1"),
            (self.curve_every >= 1, "curve_every must be >= 1"),
            (self.select_every >= 1, "select_every must be >= 1"),
            (self.opacity_reset_every >= 0, "opacity_reset_every must be >= 0"),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise HeliosError("invalid training options: " + "; ".join(problems))

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TrainOptions:
        return from_mapping(cls, values, "training option(s)")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]


class FixedResetStrategy(DefaultStrategy):
    """gsplat's DefaultStrategy with the opacity reset that 1.5.3 never runs.

    1.5.3 tests ``step % reset_every == 0 & step > 0``, which Python reads as a
    chained comparison that is always false (gsplat issue #797).
    """

    def step_post_backward(self, params, optimizers, state, step, info, packed=False):  # type: ignore[override]
        super().step_post_backward(params, optimizers, state, step, info, packed=packed)
        if 0 < step < self.refine_stop_iter and step % self.reset_every == 0:
            reset_opa(params=params, optimizers=optimizers, state=state, value=self.prune_opa * 2.0)


def cell_seed(seed: int, cell_id: str) -> int:
    """A per-cell seed derived from the global seed and the cell id."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{cell_id}".encode()).digest()[:4], "little")


def _activated(params: dict[str, torch.Tensor]) -> tuple[torch.Tensor, ...]:
    return params["means"], params["quats"], *activated(params["scales"], params["opacities"], params["colors"])


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
    means, quats, scales, opacities, colors = (t.detach().double().numpy() for t in _activated(init))
    return torch.from_numpy(np.clip(render_splats(means, quats, scales, opacities, colors, views), 0.0, 1.0)).to(device)


def _psnr_ssim(images: torch.Tensor, target: torch.Tensor, image_loss: ImageLoss) -> tuple[float, float]:
    mse = torch.mean((images - target) ** 2).item()
    _, dssim = image_loss.eager(images, target)
    return psnr(mse), 1.0 - dssim.mean().item()


def optimizers_for(params: dict[str, torch.Tensor], options: TrainOptions) -> dict[str, FusedAdam]:
    """One Adam per parameter (as gsplat's strategies expect), at gsplat's rates scaled by ``learning_rate``."""
    factor = options.learning_rate / 0.001
    rates = {"means": 1.6e-4, "scales": 5e-3, "quats": 1e-3, "opacities": 5e-2, "colors": 2.5e-3}
    return {name: FusedAdam([{"params": [params[name]], "lr": rate * factor, "name": name}]) for name, rate in rates.items()}


def _cap(params: torch.nn.ParameterDict, optimizers: dict, state: dict, max_splats: int | None) -> None:
    n = params["means"].shape[0]
    if max_splats is None or n <= max_splats:
        return
    order = torch.argsort(params["opacities"].detach(), descending=True, stable=True)
    mask = torch.ones(n, dtype=torch.bool, device=order.device)
    mask[order[:max_splats]] = False
    remove(params=params, optimizers=optimizers, state=state, mask=mask)


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
    say(f"ground truth ({options.ground_truth}): {len(train_views)} training + {len(eval_views)} evaluation views in {time.perf_counter() - t0:.1f} s")
    if options.ground_truth == "splats":
        # The target is the stars' own Gaussians: start from neutral ones at the same places.
        init["opacities"] = torch.full_like(init["opacities"], math.log(0.1 / 0.9))
        init["colors"] = torch.zeros_like(init["colors"])
        init["scales"] = torch.full_like(init["scales"], math.log(init_options.max_scale / 2))
    # All view choices up front, already on the device: no host-to-device copy
    # (and so no wait for the device) inside the loop.
    picks = torch.stack([torch.randperm(len(train_views), generator=generator)[: options.views_per_iter] for _ in range(options.iterations)])
    return CellProblem(cell, seed, _capped(init, options.max_splats), train_views.to(device), eval_views.to(device), exposure,
                       gt_train, gt_eval, picks.to(device))


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"


def metrics_header(cell: CellStars, options: TrainOptions, backend: str, why: str, device: torch.device) -> dict[str, Any]:
    """The metrics fields known before training."""
    return {
        "format": METRICS_FORMAT,
        "version": METRICS_VERSION,
        "cell": cell.cell_id,
        "backend": backend,
        "backend_reason": why,
        "device": describe_device(device),
        "seed": options.seed,
        "cell_seed": cell_seed(options.seed, cell.cell_id),
        "config_hash": options.config_hash(),
        "options": options.as_dict(),
        "versions": _versions(),
        "star_count": len(cell.positions),
        "stars_dropped_nonfinite": cell.dropped_nonfinite,
        "transform": {"centre_pc": [float(v) for v in cell.centre_pc], "scale_pc": cell.scale_pc,
                      "local_to_pc": "x_pc = centre_pc + local (PLY positions are pc relative to centre_pc)"},
    }


def write_empty_cell(metrics: dict[str, Any], cell: CellStars, ply_path: str | Path, metrics_path: str | Path,
                     init_options: InitOptions, wall_time_s: float) -> dict[str, Any]:
    """Outputs of a cell without stars: an empty PLY and status ``empty``."""
    write_ply(ply_path, init_params(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), init_options), cell.scale_pc)
    metrics.update(status="empty", splats_initial=0, splats_final=0, iterations_run=0, loss_curve=[], wall_time_s=wall_time_s)
    write_json(metrics_path, metrics)
    return metrics


def loss_reduction(initial: float, final: float) -> float | None:
    return (1 - final / initial) if initial > 0 and math.isfinite(final) else None


def train_cell(
    cell: CellStars,
    ply_path: str | Path,
    metrics_path: str | Path,
    options: TrainOptions = TrainOptions(),
    progress: Callable[[str], None] | None = None,
    init_options: InitOptions = InitOptions(),
) -> dict[str, Any]:
    """Train one cell and write its PLY (cell-local frame, pc) and metrics JSON."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    backend, device, why = resolve_backend(options.backend)
    seed = cell_seed(options.seed, cell.cell_id)
    torch.manual_seed(seed)
    metrics = metrics_header(cell, options, backend, why, device)
    say(f"cell {cell.cell_id}: {len(cell.positions)} stars, backend {backend} on {metrics['device']} ({why})")
    image_loss = ImageLoss(device, ssim=options.ssim)  # before any work: an impossible ssim choice fails here
    if len(cell.positions) == 0:
        return write_empty_cell(metrics, cell, ply_path, metrics_path, init_options, time.perf_counter() - started)

    timings: dict[str, float] = {"backend_s": time.perf_counter() - started}
    phase = time.perf_counter()
    problem = prepare_cell(cell, options, device, init_options, say)
    train_views, eval_views, gt_train, gt_eval = problem.train_views, problem.eval_views, problem.gt_train, problem.gt_eval
    timings["ground_truth_s"] = time.perf_counter() - phase
    phase = time.perf_counter()

    params = torch.nn.ParameterDict({k: torch.nn.Parameter(v.to(device)) for k, v in problem.init.items()})
    optimizers = optimizers_for(params, options)
    means_decay = 0.01 ** (1.0 / options.iterations)
    strategy = FixedResetStrategy(
        prune_opa=options.prune_opacity_threshold,
        grow_grad2d=options.grow_grad2d,
        refine_start_iter=options.densify_from,
        refine_stop_iter=options.densify_until,
        refine_every=options.densify_interval,
        reset_every=options.opacity_reset_every or 10**9,
        revised_opacity=True,  # split children keep the parent's composite opacity
    )
    strategy.check_sanity(params, optimizers)
    state = strategy.initialize_state(scene_scale=1.0)
    metrics["ssim"] = image_loss.ssim
    say(f"SSIM: {image_loss.ssim} ({image_loss.ssim_why})")
    objective = CellObjective(backend, options, gt_train, image_loss)

    def evaluate() -> tuple[float, float]:
        with torch.no_grad():
            images, _ = rasterize(backend, *_activated(params), eval_views, with_info=False)
            return _psnr_ssim(images.clamp(0, 1), gt_eval, image_loss)

    psnr_before, ssim_before = evaluate()
    initial_loss = objective.full(params, train_views, gt_train)[0].item()
    timings["setup_eval_s"] = time.perf_counter() - phase
    curve: list[dict[str, float]] = []

    def snapshot() -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in params.items()}

    best_loss, best_params, best_step = initial_loss, snapshot(), 0
    status, step = "ok", 0
    report_every = max(1, options.iterations // 20)
    picks = problem.picks
    # Each step's cameras, gathered once: a step then only takes views of these.
    step_viewmats, step_Ks = train_views.viewmats[picks], train_views.Ks[picks]
    merged: FusedAdam | None = None
    means_group = optimizers["means"].param_groups[0]
    loop_started = time.perf_counter()
    for step in range(options.iterations):
        densifying = step < options.densify_until
        if not densifying:
            objective.freeze(params, options.views_per_iter)  # shapes are final from here on
        views = Views(step_viewmats[step], step_Ks[step], train_views.width, train_views.height)
        loss, parts, info = objective.step(params, views, picks[step])
        if step % options.curve_every == 0 or step == options.iterations - 1:
            # Reading the loss waits for the device, so it happens only here; a
            # non-finite loss in between shows up at the next record at the latest.
            values = dict(zip(PARTS, parts.tolist()))
            if not math.isfinite(values["loss"]):
                status = "diverged"
                say(f"step {step}: loss is {values['loss']}; stopping and keeping the best parameters (step {best_step}, loss {best_loss:.5f})")
                break
            curve.append({"step": step, **values, "splats": int(params["means"].shape[0])})
        if densifying:
            strategy.step_pre_backward(params, optimizers, state, step, info)
        loss.backward()
        if densifying:
            strategy.step_post_backward(params, optimizers, state, step, info, packed=False)
            for optimizer in optimizers.values():
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            _cap(params, optimizers, state, options.max_splats)
        else:
            if merged is None:  # splats were capped at initialisation and after every densification step
                merged = merged_optimizer(optimizers)
                means_group = next(g for g in merged.param_groups if g["name"] == "means")
            merged.step()
            merged.zero_grad(set_to_none=True)
        means_group["lr"] *= means_decay
        if (step + 1) % options.select_every == 0 or step + 1 == options.iterations:
            full = objective.full(params, train_views, gt_train)[0].item()
            if full < best_loss:
                best_loss, best_params, best_step = full, snapshot(), step + 1
        if (step + 1) % report_every == 0:
            rate = (step + 1) / (time.perf_counter() - loop_started)
            say(f"step {step + 1}/{options.iterations}: loss {curve[-1]['loss']:.5f}, {params['means'].shape[0]} splats, {rate:.1f} it/s")
    iterations_run = step + 1 if status == "ok" else step
    loop_seconds = time.perf_counter() - loop_started

    for name, tensor in best_params.items():
        params[name] = torch.nn.Parameter(tensor)
    final_loss = best_loss
    timings["loop_s"] = loop_seconds
    phase = time.perf_counter()
    psnr_after, ssim_after = evaluate()
    write_ply(ply_path, {k: v.detach().cpu() for k, v in params.items()}, cell.scale_pc)
    timings["final_eval_write_s"] = time.perf_counter() - phase
    metrics.update(
        status=status,
        exposure=problem.exposure,
        splats_initial=int(problem.init["means"].shape[0]),
        splats_final=int(params["means"].shape[0]),
        iterations_run=iterations_run,
        best_step=best_step,
        loss_initial=initial_loss,
        loss_final=final_loss,
        loss_reduction=loss_reduction(initial_loss, final_loss),
        eval={"psnr_before": psnr_before, "psnr_after": psnr_after, "ssim_before": ssim_before, "ssim_after": ssim_after},
        loss_curve=curve,
        wall_time_s=time.perf_counter() - started,
        ms_per_iteration=1000 * loop_seconds / max(iterations_run, 1),
        timings_s=timings,
    )
    write_json(metrics_path, _finite(metrics))
    say(f"cell {cell.cell_id}: {status}, loss {initial_loss:.5f} -> {final_loss:.5f}, eval PSNR {psnr_before:.2f} -> {psnr_after:.2f} dB, "
        f"{metrics['splats_final']} splats, {metrics['ms_per_iteration']:.1f} ms/it")
    return metrics


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _versions() -> dict[str, str]:
    import gsplat
    import pytorch_msssim

    return {"helios": helios.__version__, "torch": torch.__version__, "gsplat": gsplat.__version__,
            "numpy": np.__version__, "pytorch_msssim": getattr(pytorch_msssim, "__version__", "unknown"), "python": platform.python_version()}
