"""The training loop, the same for one cell and for a batch of cells.

Each step: the loss of the step's views (rendered through the trainee, run by
the step runner), a point of the loss curve every ``curve_every`` steps,
densification around the backward pass while it lasts (one cell only), one
Adam update, the means' learning rate decayed, and every ``select_every``
steps the objective over all training views, keeping each cell's best
parameters.  A cell whose loss turns non-finite is marked ``diverged``, goes
back to its best parameters and sits out the rest of the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from helios.seed.accel import StepRunner
from helios.seed.training.densify import Densifier
from helios.seed.training.schedule import BestParameters, LossCurves, Schedule
from helios.seed.training.trainees import CellBatch, OneCell


@dataclass
class LoopResult:
    """What the loop leaves per cell (the trainee holds each cell's best parameters afterwards)."""

    initial_loss: list[float]
    best: BestParameters
    curves: LossCurves
    before: list[tuple[float, float]]  # held-out (PSNR, SSIM) at the start
    after: list[tuple[float, float]]  # and with the best parameters
    setup_eval_s: float
    loop_s: float


def run(trainee: OneCell | CellBatch, runner: StepRunner, schedule: Schedule, densifier: Densifier | None,
        say: Callable[[str], None]) -> LoopResult:
    """Train ``trainee`` for ``schedule.options.iterations`` steps; leaves it holding each cell's best parameters."""
    started = time.perf_counter()
    iterations = schedule.options.iterations
    before = trainee.evaluate()
    best = BestParameters(trainee, trainee.full_loss())
    curves = LossCurves(trainee.size, iterations)
    setup_eval_s = time.perf_counter() - started

    loop_started = time.perf_counter()
    for step in range(iterations):
        densifying = densifier is not None and densifier.active(step)
        loss, parts, info = runner.forward(step, shapes_final=not densifying)
        if schedule.records(step):
            diverged = curves.record(step, parts, trainee.splat_counts())
            for b in diverged:
                cell = trainee.problems[b].cell.cell_id
                say(f"cell {cell}, step {step}: loss is {parts[0, b].item()}; keeping its best parameters "
                    f"(step {best.step[b]}, loss {best.loss[b]:.5f})" + (" and leaving it out of the rest" if trainee.size > 1 else ""))
            if not any(curves.alive()):
                break
            if diverged:
                trainee.drop(diverged, best.params, runner.moments)
                loss, parts, info = runner.forward(step, shapes_final=not densifying)
        if densifying:
            densifier.before_backward(step, info)
        loss.sum().backward()
        if densifying:
            densifier.after_backward(step, info)
        runner.update(shapes_final=not densifying)
        if densifying:
            densifier.after_update()
        runner.set_lr("means", schedule.decayed_means_rate())
        if schedule.selects(step):
            best.update(step + 1, trainee.full_loss(), curves.alive())
        if schedule.reports(step):
            _report(step, iterations, trainee, curves, (step + 1) / (time.perf_counter() - loop_started), say)
    loop_s = time.perf_counter() - loop_started

    trainee.restore(best.params, runner.moments)
    return LoopResult(best.initial, best, curves, before, trainee.evaluate(), setup_eval_s, loop_s)


def _report(step: int, iterations: int, trainee: OneCell | CellBatch, curves: LossCurves, rate: float,
            say: Callable[[str], None]) -> None:
    losses = curves.latest_losses()
    if trainee.size == 1:
        say(f"step {step + 1}/{iterations}: loss {losses[-1] if losses else float('nan'):.5f}, "
            f"{trainee.splat_counts()[0]} splats, {rate:.1f} it/s")
        return
    median = sorted(losses)[len(losses) // 2] if losses else float("nan")
    say(f"step {step + 1}/{iterations}: median cell loss {median:.5f}, {trainee.size} cells, {rate:.1f} it/s "
        f"({rate * trainee.size:.0f} cell-it/s)")
