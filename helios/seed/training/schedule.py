"""The training schedule and what the loop keeps track of, per cell.

* :class:`Schedule`: per-parameter learning rates (gsplat's defaults scaled by
  ``learning_rate / 0.001``), the means' rate decaying to 1 % by the last step,
  and the steps at which the loss curve is recorded, the best parameters are
  sought and progress is reported.
* :class:`LossCurves`: each cell's loss curve and status; a non-finite loss
  marks a cell ``diverged``.
* :class:`BestParameters`: each cell's lowest objective over all its training
  views so far, the step it was reached and the parameters then.  A cell's
  result is its best, never worse than its initialisation: densification and
  short schedules make the last step a poor choice.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch

from helios.seed.training.objective import PARTS
from helios.seed.training.options import TrainOptions

# gsplat's simple_trainer rates at learning_rate 0.001.
BASE_RATES = {"means": 1.6e-4, "scales": 5e-3, "quats": 1e-3, "opacities": 5e-2, "colors": 2.5e-3}
MEANS_FINAL_FRACTION = 0.01


class Schedule:
    """When things happen over ``options.iterations`` steps, and the learning rates."""

    def __init__(self, options: TrainOptions) -> None:
        self.options = options
        factor = options.learning_rate / 0.001
        self.initial_rates = {name: rate * factor for name, rate in BASE_RATES.items()}
        self.means_rate = self.initial_rates["means"]
        self._means_decay = MEANS_FINAL_FRACTION ** (1.0 / options.iterations)
        self.report_every = max(1, options.iterations // 20)

    def decayed_means_rate(self) -> float:
        """The means' rate for the next step (exponential decay)."""
        self.means_rate *= self._means_decay
        return self.means_rate

    def records(self, step: int) -> bool:
        """Whether the loss curve gets a point at ``step`` (reading the loss waits for the device)."""
        return step % self.options.curve_every == 0 or step == self.options.iterations - 1

    def selects(self, step: int) -> bool:
        """Whether the objective over all training views is measured after ``step``."""
        return (step + 1) % self.options.select_every == 0 or step + 1 == self.options.iterations

    def reports(self, step: int) -> bool:
        return (step + 1) % self.report_every == 0


class LossCurves:
    """Per cell: the loss curve (``PARTS`` and the splat count at recorded steps), status and steps run."""

    def __init__(self, cells: int, iterations: int) -> None:
        self.curves: list[list[dict[str, float]]] = [[] for _ in range(cells)]
        self.status = ["ok"] * cells
        self.iterations_run = [iterations] * cells

    def alive(self) -> list[bool]:
        return [status == "ok" for status in self.status]

    def record(self, step: int, parts: torch.Tensor, splats: list[int]) -> list[int]:
        """Add ``parts`` (``[5, cells]``) at ``step``; returns the cells whose loss just turned non-finite."""
        table = parts.tolist()  # one wait for the device for every cell
        diverged = []
        for b in range(len(self.status)):
            if self.status[b] != "ok":
                continue
            values = {name: table[j][b] for j, name in enumerate(PARTS)}
            if not math.isfinite(values["loss"]):
                self.status[b], self.iterations_run[b] = "diverged", step
                diverged.append(b)
            else:
                self.curves[b].append({"step": step, **values, "splats": splats[b]})
        return diverged

    def latest_losses(self) -> list[float]:
        return [curve[-1]["loss"] for curve, status in zip(self.curves, self.status) if status == "ok" and curve]


class Snapshots(Protocol):
    def snapshot(self) -> dict[str, torch.Tensor]: ...
    def keep(self, best: dict[str, torch.Tensor], cells: list[bool]) -> dict[str, torch.Tensor]: ...


class BestParameters:
    """Each cell's best objective over all training views, the step after which it was reached, and the parameters."""

    def __init__(self, trainee: Snapshots, initial: list[float]) -> None:
        self.trainee = trainee
        self.initial = list(initial)
        self.loss = list(initial)
        self.step = [0] * len(initial)
        self.params = trainee.snapshot()

    def update(self, step: int, losses: list[float], alive: list[bool]) -> None:
        """Keep the parameters of every live cell whose objective ``losses`` beats its best (after ``step`` steps)."""
        improved = [ok and loss < best for ok, loss, best in zip(alive, losses, self.loss)]
        if not any(improved):
            return
        self.params = self.trainee.keep(self.params, improved)
        for b, better in enumerate(improved):
            if better:
                self.loss[b], self.step[b] = losses[b], step
