"""Batched training: several cells optimised together, one render call per step for all.

Each cell keeps its per-cell problem exactly (see :func:`helios.train.prepare_cell`:
seed, initial splats, view pools, ground truth, the views drawn at each step)
and the per-cell schedule (learning rates, means decay, loss curve every
``curve_every`` steps, best parameters over all training views every
``select_every`` steps, divergence handling).  The cells' Gaussians are stacked
along a leading batch dimension, padded to the largest cell with zero-opacity
Gaussians, and rendered through gsplat's batch dimensions.  The loss is the
sum of the cells' losses, so each cell receives exactly its own gradient, and
Adam acts element-wise: a cell trains as it would alone, up to floating-point
summation order.  What changes is the cost: at 256 px a step is bound by kernel
launches, not arithmetic, and one launch now serves every cell.

Densification is not available in this mode: gsplat's strategy works on one
scene, and per-cell clone/split/prune would re-pad the batch at every interval.
Cells keep their initial splats (capped at ``max_splats``); asking for
densification here is an error.  A cell whose loss turns non-finite is marked
``diverged``, keeps its best parameters and sits out the rest of the batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from helios.adam import FusedAdam, merged
from helios.cell import CellStars
from helios.errors import HeliosError
from helios.files import write_json
from helios.loss import ImageLoss, psnr, resolve_ssim
from helios.objective import PARTS, weighted_loss
from helios.render import rasterize_batch, resolve_backend
from helios.splats import InitOptions, activated, write_ply
from helios.train import (
    CellProblem,
    TrainOptions,
    _finite,
    loss_reduction,
    metrics_header,
    optimizers_for,
    prepare_cell,
    write_empty_cell,
)

PAD_VALUES = {"means": 0.0, "quats": 0.0, "scales": math.log(1e-3), "opacities": -20.0, "colors": 0.0}
# Images rendered at once when the objective is measured over every training view.
FULL_LOSS_IMAGES = 256
# gsplat 1.5.3's projection backward sums the gradients of a warp's threads by
# Gaussian index alone (cg::labeled_partition(warp, gid) in
# ProjectionEWA3DGSFused.cu), ignoring the batch index: when a warp of 32
# threads spans two batch elements holding the same Gaussian index, their means
# and scales gradients are summed into one of them.  That happens only for
# scenes of at most 31 Gaussians, so every batch is padded to at least 32.
MIN_PADDED_SPLATS = 32


def densifies(options: TrainOptions) -> bool:
    """Whether ``options`` ask for clone/split/prune steps."""
    return options.densify_until > options.densify_from


def _padded(tensors: list[torch.Tensor], length: int, fill: float) -> torch.Tensor:
    out = torch.full((len(tensors), length, *tensors[0].shape[1:]), fill, dtype=tensors[0].dtype)
    for b, tensor in enumerate(tensors):
        out[b, : tensor.shape[0]] = tensor
    return out


class Batch:
    """The stacked problems of B non-empty cells and their padded parameters."""

    def __init__(self, problems: list[CellProblem], options: TrainOptions, backend: str, device: torch.device) -> None:
        self.problems, self.options, self.backend, self.device = problems, options, backend, device
        self.size = options.image_size
        self.counts = [int(p.init["means"].shape[0]) for p in problems]
        n_max = max(*self.counts, MIN_PADDED_SPLATS)
        # 1 on each cell's own splats, 0 on padding; ``valid`` also drops cells that diverged.
        self.cell_splats = (torch.arange(n_max)[None, :] < torch.tensor(self.counts)[:, None]).float().to(device)
        self.valid = self.cell_splats.clone()
        self.params = {}
        for name, fill in PAD_VALUES.items():
            padded = _padded([p.init[name] for p in problems], n_max, fill)
            if name == "quats":
                padded[..., 0] = torch.where(self.valid.cpu() > 0, padded[..., 0], 1.0)
            self.params[name] = torch.nn.Parameter(padded.to(device))
        self.cell_index = torch.arange(len(problems), device=device)[:, None]
        self.train_viewmats = torch.stack([p.train_views.viewmats for p in problems])
        self.train_Ks = torch.stack([p.train_views.Ks for p in problems])
        self.eval_viewmats = torch.stack([p.eval_views.viewmats for p in problems])
        self.eval_Ks = torch.stack([p.eval_views.Ks for p in problems])
        self.gt_train = torch.stack([p.gt_train for p in problems])
        self.gt_eval = torch.stack([p.gt_eval for p in problems])
        self.picks = torch.stack([p.picks for p in problems], dim=1)  # [iterations, B, views_per_iter]
        self.image_loss = ImageLoss(device, graph_shape=(len(problems) * options.views_per_iter, self.size, self.size, 3),
                                    ssim=options.ssim)

    def __len__(self) -> int:
        return len(self.problems)

    def render(self, viewmats: torch.Tensor, Ks: torch.Tensor) -> torch.Tensor:
        p = self.params
        scales, opacities, colors = activated(p["scales"], p["opacities"], p["colors"])
        counts = [n if self.valid[b, 0] > 0 else 0 for b, n in enumerate(self.counts)] if self.backend != "gsplat" else self.counts
        return rasterize_batch(self.backend, p["means"], p["quats"], scales, opacities * self.valid, colors, viewmats, Ks, self.size, counts)

    def regularisers(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-cell isotropy and anti-collapse terms over each cell's own splats."""
        log_scales = self.params["scales"]
        count = self.valid.sum(dim=1).clamp(min=1.0)
        isotropy = (log_scales.var(dim=2, unbiased=False) * self.valid).sum(dim=1) / count
        spread = log_scales.min(dim=2).values - log_scales.max(dim=2).values  # log(smallest / largest)
        collapse = (torch.relu(math.log(self.options.min_scale_ratio) - spread) * self.valid).sum(dim=1) / count
        return isotropy, collapse

    def combine(self, l1: torch.Tensor, dssim: torch.Tensor) -> dict[str, torch.Tensor]:
        isotropy, collapse = self.regularisers()
        loss = weighted_loss(self.options, l1, dssim, isotropy, collapse)
        return {"loss": loss, "l1": l1, "dssim": dssim, "isotropy": isotropy, "collapse": collapse}

    def step_objective(self, step: int) -> dict[str, torch.Tensor]:
        """Per-cell ``[B]`` loss and parts on this step's views."""
        pick = self.picks[step]
        images = self.render(self.train_viewmats[self.cell_index, pick], self.train_Ks[self.cell_index, pick])
        b, v = pick.shape
        target = self.gt_train[self.cell_index, pick]
        l1, dssim = self.image_loss(images.reshape(b * v, self.size, self.size, 3), target.reshape(b * v, self.size, self.size, 3))
        return self.combine(l1.view(b, v).mean(dim=1), dssim.view(b, v).mean(dim=1))

    @torch.no_grad()
    def full_loss(self) -> list[float]:
        """Each cell's objective over all its training views."""
        n_views = self.train_viewmats.shape[1]
        chunk = max(1, FULL_LOSS_IMAGES // len(self))
        l1_sum = torch.zeros(len(self), device=self.device)
        dssim_sum = torch.zeros(len(self), device=self.device)
        for start in range(0, n_views, chunk):
            views = slice(start, min(start + chunk, n_views))
            images = self.render(self.train_viewmats[:, views], self.train_Ks[:, views])
            b, v = images.shape[:2]
            l1, dssim = self.image_loss.eager(images.reshape(b * v, self.size, self.size, 3),
                                              self.gt_train[:, views].reshape(b * v, self.size, self.size, 3))
            l1_sum += l1.view(b, v).sum(dim=1)
            dssim_sum += dssim.view(b, v).sum(dim=1)
        return self.combine(l1_sum / n_views, dssim_sum / n_views)["loss"].tolist()

    @torch.no_grad()
    def evaluate(self) -> list[tuple[float, float]]:
        """Held-out ``(PSNR dB, SSIM)`` per cell."""
        images = self.render(self.eval_viewmats, self.eval_Ks).clamp(0, 1)
        b, v = images.shape[:2]
        mse = ((images - self.gt_eval) ** 2).mean(dim=(1, 2, 3, 4))
        _, dssim = self.image_loss.eager(images.reshape(b * v, self.size, self.size, 3), self.gt_eval.reshape(b * v, self.size, self.size, 3))
        similarity = 1.0 - dssim.view(b, v).mean(dim=1)
        return [(psnr(m), s) for m, s in zip(mse.tolist(), similarity.tolist())]

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {name: tensor.detach().clone() for name, tensor in self.params.items()}

    def keep(self, best: dict[str, torch.Tensor], cells: torch.Tensor) -> None:
        """Copy the current parameters of the cells in the ``[B]`` mask ``cells`` into ``best``."""
        for name, tensor in self.params.items():
            mask = cells.view(-1, *([1] * (tensor.dim() - 1)))
            best[name] = torch.where(mask, tensor.detach(), best[name])

    def restore(self, best: dict[str, torch.Tensor], cells: torch.Tensor, optimizer: FusedAdam) -> None:
        """Put the cells in ``cells`` back to ``best`` and clear their Adam moments."""
        with torch.no_grad():
            for name, tensor in self.params.items():
                mask = cells.view(-1, *([1] * (tensor.dim() - 1)))
                tensor.copy_(torch.where(mask, best[name], tensor))
                for key, moment in optimizer.state.get(tensor, {}).items():
                    if key != "step" and moment.shape == tensor.shape:
                        moment.copy_(torch.where(mask, torch.zeros_like(moment), moment))


def train_batch(
    cells: list[CellStars],
    outputs: list[tuple[str | Path, str | Path]],
    options: TrainOptions = TrainOptions(),
    progress: Callable[[str], None] | None = None,
    init_options: InitOptions = InitOptions(),
    batch_id: str = "batch",
) -> list[dict[str, Any]]:
    """Train ``cells`` together; write each cell's PLY and metrics to its ``(ply, json)`` in ``outputs``."""
    if len(cells) != len(outputs):
        raise HeliosError(f"train_batch: {len(cells)} cells but {len(outputs)} output pairs")
    if densifies(options):
        raise HeliosError(f"batched training does not densify (densify_until {options.densify_until} > densify_from "
                          f"{options.densify_from}): set densify_until to 0, or train one cell per job")
    say = progress or (lambda message: None)
    started = time.perf_counter()
    backend, device, why = resolve_backend(options.backend)
    headers = [metrics_header(cell, options, backend, why, device) for cell in cells]
    results: list[dict[str, Any] | None] = [None] * len(cells)
    live = [i for i, cell in enumerate(cells) if len(cell.positions) > 0]
    say(f"batch {batch_id}: {len(cells)} cells ({len(cells) - len(live)} empty), backend {backend} on {headers[0]['device']} ({why})")
    resolve_ssim(options.ssim, device)  # before any work: an impossible ssim choice fails here
    for i, cell in enumerate(cells):
        if len(cell.positions) == 0:
            results[i] = write_empty_cell(headers[i], cell, *outputs[i], init_options, 0.0)
    if not live:
        return results  # type: ignore[return-value]

    timings: dict[str, float] = {"backend_s": time.perf_counter() - started}
    phase = time.perf_counter()
    # Ground truth is numpy work on the CPU (about 0.2 s a cell at 256 px): spread it over the job's threads.
    with ThreadPoolExecutor(max_workers=max(1, torch.get_num_threads())) as pool:
        problems = list(pool.map(lambda i: prepare_cell(cells[i], options, device, init_options), live))
    batch = Batch(problems, options, backend, device)
    say(f"SSIM: {batch.image_loss.ssim} ({batch.image_loss.ssim_why})")
    for i in live:
        headers[i]["ssim"] = batch.image_loss.ssim
    timings["ground_truth_s"] = time.perf_counter() - phase
    phase = time.perf_counter()
    optimizer = merged(optimizers_for(batch.params, options))
    means_group = next(g for g in optimizer.param_groups if g["name"] == "means")
    means_decay = 0.01 ** (1.0 / options.iterations)
    before = batch.evaluate()
    initial = batch.full_loss()
    timings["setup_eval_s"] = time.perf_counter() - phase

    n = len(batch)
    best_loss, best_step, best = list(initial), [0] * n, batch.snapshot()
    status, iterations_run = ["ok"] * n, [options.iterations] * n
    curves: list[list[dict[str, float]]] = [[] for _ in range(n)]
    report_every = max(1, options.iterations // 20)
    loop_started = time.perf_counter()
    for step in range(options.iterations):
        parts = batch.step_objective(step)
        if step % options.curve_every == 0 or step == options.iterations - 1:
            table = torch.stack([parts[k].detach().float() for k in PARTS]).tolist()  # one wait for all cells
            diverged = []
            for b in range(n):
                if status[b] != "ok":
                    continue
                values = {k: table[j][b] for j, k in enumerate(PARTS)}
                if not math.isfinite(values["loss"]):
                    status[b], iterations_run[b] = "diverged", step
                    diverged.append(b)
                    say(f"cell {batch.problems[b].cell.cell_id}, step {step}: loss is {values['loss']}; keeping its best parameters "
                        f"(step {best_step[b]}, loss {best_loss[b]:.5f}) and leaving it out of the rest of the batch")
                else:
                    curves[b].append({"step": step, **values, "splats": batch.counts[b]})
            if diverged:
                mask = torch.zeros(n, dtype=torch.bool, device=device)
                mask[diverged] = True
                batch.restore(best, mask, optimizer)
                batch.valid[mask] = 0.0
                parts = batch.step_objective(step)
        parts["loss"].sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        means_group["lr"] *= means_decay
        if (step + 1) % options.select_every == 0 or step + 1 == options.iterations:
            full = batch.full_loss()
            improved = [status[b] == "ok" and full[b] < best_loss[b] for b in range(n)]
            if any(improved):
                batch.keep(best, torch.tensor(improved, device=device))
                for b in range(n):
                    if improved[b]:
                        best_loss[b], best_step[b] = full[b], step + 1
        if (step + 1) % report_every == 0:
            rate = (step + 1) / (time.perf_counter() - loop_started)
            ok = [b for b in range(n) if status[b] == "ok" and curves[b]]
            median = sorted(curves[b][-1]["loss"] for b in ok)[len(ok) // 2] if ok else float("nan")
            say(f"step {step + 1}/{options.iterations}: median cell loss {median:.5f}, {n} cells, {rate:.1f} it/s ({rate * n:.0f} cell-it/s)")
    loop_seconds = time.perf_counter() - loop_started
    timings["loop_s"] = loop_seconds

    phase = time.perf_counter()
    batch.restore(best, torch.ones(n, dtype=torch.bool, device=device), optimizer)
    batch.valid.copy_(batch.cell_splats)
    after = batch.evaluate()
    for b, problem in enumerate(batch.problems):
        i = live[b]
        ply_path = outputs[i][0]
        count = batch.counts[b]
        write_ply(ply_path, {name: tensor[b, :count].detach().cpu() for name, tensor in best.items()}, problem.cell.scale_pc)
        headers[i].update(
            status=status[b],
            exposure=problem.exposure,
            splats_initial=count,
            splats_final=count,
            iterations_run=iterations_run[b],
            best_step=best_step[b],
            loss_initial=initial[b],
            loss_final=best_loss[b],
            loss_reduction=loss_reduction(initial[b], best_loss[b]),
            eval={"psnr_before": before[b][0], "psnr_after": after[b][0], "ssim_before": before[b][1], "ssim_after": after[b][1]},
            loss_curve=curves[b],
        )
        results[i] = headers[i]
    timings["final_eval_write_s"] = time.perf_counter() - phase
    wall = time.perf_counter() - started
    share = {"batch": batch_id, "cells": len(cells), "trained_together": n, "wall_time_s": wall, "loop_s": loop_seconds,
             "ms_per_step": 1000 * loop_seconds / options.iterations, "timings_s": timings}
    for b in range(n):
        i = live[b]
        # A cell's share of the batch: wall time and milliseconds per iteration divided by the cells trained together.
        headers[i].update(wall_time_s=wall / n, ms_per_iteration=1000 * loop_seconds / options.iterations / n, batched=share)
        write_json(outputs[i][1], _finite(headers[i]))
    say(f"batch {batch_id}: {n} cells in {wall:.1f} s ({1000 * loop_seconds / options.iterations:.2f} ms per step, "
        f"{1000 * loop_seconds / options.iterations / n:.3f} ms per cell-iteration); "
        f"median loss reduction {sorted(r['loss_reduction'] or 0 for r in results if r and r.get('status') != 'empty')[n // 2]:.1%}")
    return results  # type: ignore[return-value]
