"""Train one cell, or a batch of cells, and write each cell's PLY and metrics.

Set-up (backend, seeds, ground truth: :mod:`helios.seed.training.problem`), the
loop (:mod:`helios.seed.training.loop`) and the outputs.  A cell trained alone may
densify; a batch trains each of its cells as it would alone, without
densification, one render call per step for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch

from helios.cell import CellStars
from helios.errors import HeliosError
from helios.seed.accel import make_step_runner
from helios.seed.render import resolve_backend
from helios.seed.splats import InitOptions, write_ply
from helios.seed.training import loop
from helios.seed.training.densify import Densifier
from helios.seed.training.metrics import metrics_header, training_result, write_empty_cell, write_metrics
from helios.seed.training.objective import ImageLoss
from helios.seed.training.options import TrainOptions
from helios.seed.training.problem import prepare_cell
from helios.seed.training.schedule import Schedule
from helios.seed.training.trainees import CellBatch, OneCell
from helios.seeding import cell_seed

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def train_cell(
    cell: CellStars,
    ply_path: str | Path,
    metrics_path: str | Path,
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
    init_options: InitOptions = InitOptions(),
    cuda: bool | None = None,
) -> dict[str, Any]:
    """Train one cell and write its PLY (cell-local frame, pc) and metrics JSON.

    ``cuda``: None uses CUDA where available; a workflow job says whether it was given a GPU
    (see :func:`helios.seed.render.resolve_backend`).
    """
    say = progress or _quiet
    started = time.perf_counter()
    backend, device, why = resolve_backend(options.backend, cuda)
    torch.manual_seed(cell_seed(options.seed, cell.cell_id))  # densification's splits draw from it
    metrics = metrics_header(cell, options, backend, why, device)
    say(f"cell {cell.cell_id}: {len(cell.positions)} stars, backend {backend} on {metrics['device']} ({why})")
    image_loss = ImageLoss(device, ssim=options.ssim)  # before any work: an impossible ssim choice fails here
    if len(cell.positions) == 0:
        return write_empty_cell(metrics, cell, ply_path, metrics_path, init_options, time.perf_counter() - started)

    timings: dict[str, float] = {"backend_s": time.perf_counter() - started}
    phase = time.perf_counter()
    problem = prepare_cell(cell, options, device, init_options, say)
    timings["ground_truth_s"] = time.perf_counter() - phase
    metrics["ssim"] = image_loss.ssim
    say(f"SSIM: {image_loss.ssim} ({image_loss.ssim_why})")

    trainee = OneCell(problem, options, backend, device, image_loss)
    schedule = Schedule(options)
    runner = make_step_runner(trainee, schedule.initial_rates, device)
    densifier = Densifier(options, trainee.params, runner.optimizers)
    result = loop.run(trainee, runner, schedule, densifier, say)
    timings["setup_eval_s"], timings["loop_s"] = result.setup_eval_s, result.loop_s

    phase = time.perf_counter()
    write_ply(ply_path, trainee.cell_params(0), cell.scale_pc)
    timings["final_eval_write_s"] = time.perf_counter() - phase
    metrics.update(_cell_result(trainee, result, 0, problem.init["means"].shape[0]))
    metrics.update(wall_time_s=time.perf_counter() - started, ms_per_iteration=1000 * result.loop_s / max(metrics["iterations_run"], 1),
                   timings_s=timings)
    write_metrics(metrics_path, metrics)
    say(f"cell {cell.cell_id}: {metrics['status']}, loss {metrics['loss_initial']:.5f} -> {metrics['loss_final']:.5f}, "
        f"eval PSNR {metrics['eval']['psnr_before']:.2f} -> {metrics['eval']['psnr_after']:.2f} dB, "
        f"{metrics['splats_final']} splats, {metrics['ms_per_iteration']:.1f} ms/it")
    return metrics


def _cell_result(trainee: OneCell | CellBatch, result: loop.LoopResult, b: int, splats_initial: int) -> dict[str, Any]:
    problem = trainee.problems[b]
    return training_result(
        status=result.curves.status[b], exposure=problem.exposure, splats_initial=int(splats_initial),
        splats_final=trainee.splat_counts()[b], iterations_run=result.curves.iterations_run[b], best_step=result.best.step[b],
        loss_initial=result.initial_loss[b], loss_final=result.best.loss[b], before=result.before[b], after=result.after[b],
        curve=result.curves.curves[b])


def train_batch(
    cells: list[CellStars],
    outputs: list[tuple[str | Path, str | Path]],
    options: TrainOptions = TrainOptions(),
    progress: Progress | None = None,
    init_options: InitOptions = InitOptions(),
    batch_id: str = "batch",
    cuda: bool | None = None,
) -> list[dict[str, Any]]:
    """Train ``cells`` together; write each cell's PLY and metrics to its ``(ply, json)`` in ``outputs`` (``cuda``: as train_cell)."""
    if len(cells) != len(outputs):
        raise HeliosError(f"train_batch: {len(cells)} cells but {len(outputs)} output pairs")
    if options.densifies:
        raise HeliosError(f"batched training does not densify (densify_until {options.densify_until} > densify_from "
                          f"{options.densify_from}): set densify_until to 0, or train one cell per job")
    say = progress or _quiet
    started = time.perf_counter()
    backend, device, why = resolve_backend(options.backend, cuda)
    headers = [metrics_header(cell, options, backend, why, device) for cell in cells]
    results: list[dict[str, Any] | None] = [None] * len(cells)
    live = [i for i, cell in enumerate(cells) if len(cell.positions) > 0]
    say(f"batch {batch_id}: {len(cells)} cells ({len(cells) - len(live)} empty), backend {backend} on {headers[0]['device']} ({why})")
    image_loss = ImageLoss(device, ssim=options.ssim)  # before any work: an impossible ssim choice fails here
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
    timings["ground_truth_s"] = time.perf_counter() - phase
    say(f"SSIM: {image_loss.ssim} ({image_loss.ssim_why})")

    trainee = CellBatch(problems, options, backend, device, image_loss)
    schedule = Schedule(options)
    runner = make_step_runner(trainee, schedule.initial_rates, device)
    result = loop.run(trainee, runner, schedule, None, say)
    timings["setup_eval_s"], timings["loop_s"] = result.setup_eval_s, result.loop_s

    phase = time.perf_counter()
    for b, i in enumerate(live):
        write_ply(outputs[i][0], trainee.cell_params(b), cells[i].scale_pc)
        headers[i].update(ssim=image_loss.ssim, **_cell_result(trainee, result, b, trainee.counts[b]))
        results[i] = headers[i]
    timings["final_eval_write_s"] = time.perf_counter() - phase
    wall = time.perf_counter() - started
    n = trainee.size
    share = {"batch": batch_id, "cells": len(cells), "trained_together": n, "wall_time_s": wall, "loop_s": result.loop_s,
             "ms_per_step": 1000 * result.loop_s / options.iterations, "timings_s": timings}
    for i in live:
        # A cell's share of the batch: wall time and milliseconds per iteration divided by the cells trained together.
        headers[i].update(wall_time_s=wall / n, ms_per_iteration=1000 * result.loop_s / options.iterations / n, batched=share)
        write_metrics(outputs[i][1], headers[i])
    reductions = sorted(r["loss_reduction"] or 0 for r in results if r and r.get("status") != "empty")
    say(f"batch {batch_id}: {n} cells in {wall:.1f} s ({1000 * result.loop_s / options.iterations:.2f} ms per step, "
        f"{1000 * result.loop_s / options.iterations / n:.3f} ms per cell-iteration); median loss reduction {reductions[n // 2]:.1%}")
    return results  # type: ignore[return-value]
