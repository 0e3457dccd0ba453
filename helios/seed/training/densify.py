"""Adaptive density control for one cell: gsplat's DefaultStrategy (clone, split, prune) and a splat cap."""

from __future__ import annotations

from typing import Any

import torch
from gsplat.strategy import DefaultStrategy
from gsplat.strategy.ops import remove, reset_opa

from helios.seed.training.options import TrainOptions


class FixedResetStrategy(DefaultStrategy):
    """gsplat's DefaultStrategy with the opacity reset that 1.5.3 never runs.

    1.5.3 tests ``step % reset_every == 0 & step > 0``, which Python reads as a
    chained comparison that is always false (gsplat issue #797).
    """

    def step_post_backward(self, params, optimizers, state, step, info, packed=False):  # type: ignore[override]
        super().step_post_backward(params, optimizers, state, step, info, packed=packed)
        if 0 < step < self.refine_stop_iter and step % self.reset_every == 0:
            reset_opa(params=params, optimizers=optimizers, state=state, value=self.prune_opa * 2.0)


class Densifier:
    """Clone, split and prune one cell's splats until ``densify_until``, keeping at most ``max_splats``.

    ``params`` and ``optimizers`` (one per parameter, as gsplat's strategies
    expect) are changed in place: densification replaces parameter tensors.
    """

    def __init__(self, options: TrainOptions, params: torch.nn.ParameterDict, optimizers: dict[str, Any]) -> None:
        self.until = options.densify_until
        self.max_splats = options.max_splats
        self.params, self.optimizers = params, optimizers
        self.strategy = FixedResetStrategy(
            prune_opa=options.prune_opacity_threshold,
            grow_grad2d=options.grow_grad2d,
            refine_start_iter=options.densify_from,
            refine_stop_iter=options.densify_until,
            refine_every=options.densify_interval,
            reset_every=options.opacity_reset_every or 10**9,
            revised_opacity=True,  # split children keep the parent's composite opacity
        )
        self.strategy.check_sanity(params, optimizers)
        self.state = self.strategy.initialize_state(scene_scale=1.0)

    def active(self, step: int) -> bool:
        """Whether step ``step`` belongs to the densification phase (the splat count may still change)."""
        return step < self.until

    def before_backward(self, step: int, info: dict[str, Any]) -> None:
        self.strategy.step_pre_backward(self.params, self.optimizers, self.state, step, info)

    def after_backward(self, step: int, info: dict[str, Any]) -> None:
        self.strategy.step_post_backward(self.params, self.optimizers, self.state, step, info, packed=False)

    def after_update(self) -> None:
        """Drop the least opaque splats beyond ``max_splats``."""
        n = self.params["means"].shape[0]
        if self.max_splats is None or n <= self.max_splats:
            return
        order = torch.argsort(self.params["opacities"].detach(), descending=True, stable=True)
        mask = torch.ones(n, dtype=torch.bool, device=order.device)
        mask[order[: self.max_splats]] = False
        remove(params=self.params, optimizers=self.optimizers, state=self.state, mask=mask)
