"""How a training step runs: the forward pass and the optimiser updates, fast where the hardware allows.

The training loop asks a :class:`StepRunner` for each step's loss and for the
parameter update; it tells the runner whether the splat count is final
(densification over).  The trainee (one cell, or a batch of cells) supplies
the maths in three pieces: ``before`` (activations and regularisers from the
raw parameters), ``render`` and ``after`` (the loss against the step's ground
truth).  On the CPU, or with ``HELIOS_CUDA_GRAPHS=0``, the runner composes
them eagerly.  On CUDA, once shapes are final, it captures ``before`` and
``after`` as CUDA graphs and replays them (``helios.seed.accel.cuda_graphs``), and
steps every parameter with one Adam call instead of one per parameter
(gsplat's strategies need one optimizer per parameter while they run).
"""

from __future__ import annotations

from typing import Any, Protocol

import torch

from helios.adam import FusedAdam, merged
from helios.seed.accel.cuda_graphs import cuda_graphs_enabled, graphed

N_PARTS = 5  # loss, l1, dssim, isotropy, collapse


class Trainee(Protocol):
    """What the runner needs of the thing being trained (see helios.seed.training.trainees)."""

    params: Any  # name -> leaf tensor
    size: int  # scenes (cells) trained together
    step_images_shape: tuple[int, ...]  # shape of one step's rendered images

    def raw(self) -> tuple[torch.Tensor, ...]: ...
    def before(self, *raw: torch.Tensor) -> tuple[torch.Tensor, ...]: ...
    def render(self, step: int, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor,
               with_info: bool) -> tuple[torch.Tensor, dict[str, Any]]: ...
    def pick(self, step: int) -> torch.Tensor: ...
    def after(self, images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor,
              collapse: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...


class StepRunner:
    """One trainee's forward passes and Adam updates (``learning_rates``: parameter name -> rate)."""

    def __init__(self, trainee: Trainee, learning_rates: dict[str, float], use_graphs: bool) -> None:
        self.trainee = trainee
        self.optimizers = {name: FusedAdam([{"params": [trainee.params[name]], "lr": rate, "name": name}])
                           for name, rate in learning_rates.items()}
        self._merged: FusedAdam | None = None
        self._use_graphs = use_graphs
        self._graphs: _Graphs | None = None

    def forward(self, step: int, shapes_final: bool) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
        """``(loss [scenes] or scalar, parts [5, scenes] detached, info)`` of training step ``step``.

        ``info`` feeds a densification strategy; it may be empty once ``shapes_final``.
        """
        t = self.trainee
        if shapes_final and self._use_graphs and self._graphs is None:
            self._graphs = _Graphs(t)
        raw = t.raw()
        graphs = self._graphs if self._graphs is not None and self._graphs.reads(raw) else None
        scales, opacities, colors, isotropy, collapse = (graphs.before if graphs else t.before)(*raw)
        images, info = t.render(step, scales, opacities, colors, with_info=not shapes_final)
        pick = t.pick(step)
        if graphs is not None and torch.is_grad_enabled():
            return graphs.after(images, pick, isotropy, collapse), graphs.parts, info
        loss, parts = t.after(images, pick, isotropy, collapse)
        return loss, parts, info

    def update(self, shapes_final: bool) -> None:
        """One Adam step on every parameter, gradients then cleared."""
        if not shapes_final:
            for optimizer in self.optimizers.values():
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
            return
        if self._merged is None:
            self._merged = merged(self.optimizers)
        self._merged.step()
        self._merged.zero_grad(set_to_none=True)

    def set_lr(self, name: str, lr: float) -> None:
        groups = self._merged.param_groups if self._merged is not None else self.optimizers[name].param_groups
        for group in groups:
            if group["name"] == name:
                group["lr"] = lr

    def moments(self, param: torch.Tensor) -> dict[str, torch.Tensor]:
        """Adam's state of one parameter tensor (``step``, ``exp_avg``, ``exp_avg_sq``), empty before its first step."""
        if self._merged is not None:
            return self._merged.state.get(param, {})
        for optimizer in self.optimizers.values():
            if param in optimizer.state:
                return optimizer.state[param]
        return {}


class _Graphs:
    """``before`` and ``after`` of a trainee captured as CUDA graphs, for its current parameter tensors.

    The graphs read the parameters, and the first half's regularisers, where
    they lie (no copy in per step), and write the parts of the loss into a
    buffer (the next step overwrites it).
    """

    def __init__(self, trainee: Trainee) -> None:
        self.raw = trainee.raw()
        # The captures' inputs are new leaves on the same storage: a parameter already used
        # in a backward pass carries that pass's (default) stream, and a captured backward
        # ending at it would make CUDA join the default stream into the capture, which it refuses.
        self.before = graphed(trainee.before, _aliases(self.raw))
        with torch.no_grad():
            *_, isotropy, collapse = self.before(*self.raw)
        device = self.raw[0].device
        images = torch.rand(trainee.step_images_shape, device=device, requires_grad=True)
        self.parts = torch.zeros((N_PARTS, trainee.size), device=device)

        def after_into_parts(images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> torch.Tensor:
            loss, parts = trainee.after(images, pick, isotropy, collapse)
            self.parts.copy_(parts)
            return loss

        self.after = graphed(after_into_parts, (images, trainee.pick(0).clone(), *_aliases((isotropy, collapse))))

    def reads(self, raw: tuple[torch.Tensor, ...]) -> bool:
        """Whether ``raw`` are the very tensors captured (densification replaces them)."""
        return all(a is b for a, b in zip(raw, self.raw))


def _aliases(tensors: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """New leaves that require grad, on the storage of ``tensors``."""
    return tuple(t.detach().requires_grad_(True) for t in tensors)


def make_step_runner(trainee: Trainee, learning_rates: dict[str, float], device: torch.device) -> StepRunner:
    """The runner for ``trainee`` on ``device``: CUDA graphs on CUDA unless ``HELIOS_CUDA_GRAPHS=0``."""
    return StepRunner(trainee, learning_rates, use_graphs=device.type == "cuda" and cuda_graphs_enabled())
