"""Adam through PyTorch's own fused kernel, without ``torch.optim``'s first-use cost.

The first ``torch.optim`` optimizer a process builds imports ``torch._dynamo``
(every optimizer method is wrapped by ``torch._disable_dynamo``): 1.2 s on the
2-core development VM and about 2.5 s on the GPU machines, measured in
``BENCHMARKS.md`` — more than training a default cell, paid again by every
per-cell job.  :class:`FusedAdam` runs the same update as
``torch.optim.Adam(fused=True)`` (``torch._fused_adam_``, on the CPU and on
CUDA; no weight decay, no AMSGrad) and keeps the parts of the optimizer
interface that gsplat's strategies use: ``param_groups`` (each with
``params``, ``lr`` and ``name``) and a per-parameter ``state`` (``step``,
``exp_avg``, ``exp_avg_sq``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import torch


class FusedAdam:
    """Adam over parameter groups ``[{"params": [tensor, ...], "lr": float, "name": str}, ...]``."""

    def __init__(self, groups: list[dict[str, Any]], betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-15) -> None:
        self.param_groups = [dict(group, params=list(group["params"])) for group in groups]
        self.state: defaultdict[torch.Tensor, dict[str, torch.Tensor]] = defaultdict(dict)
        self.betas, self.eps = betas, eps

    @torch.no_grad()
    def step(self) -> None:
        work = []
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                work.append((group, params, [self._state(p) for p in params]))
        if not work:
            return
        torch._foreach_add_([s["step"] for _, _, states in work for s in states], 1)  # one launch for every group
        for group, params, states in work:
            torch._fused_adam_(
                params, [p.grad for p in params], [s["exp_avg"] for s in states], [s["exp_avg_sq"] for s in states], [],
                [s["step"] for s in states], amsgrad=False, lr=group["lr"], beta1=self.betas[0], beta2=self.betas[1],
                weight_decay=0.0, eps=self.eps, maximize=False,
            )

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.zero_()

    def _state(self, p: torch.Tensor) -> dict[str, torch.Tensor]:
        state = self.state[p]
        if not state:
            state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state


def merged(optimizers: dict[str, FusedAdam]) -> FusedAdam:
    """One optimizer holding every group and its state: one ``step`` call instead of one per parameter.

    Used once densification is over (gsplat's strategy needs one optimizer per parameter).
    """
    first = next(iter(optimizers.values()))
    out = FusedAdam([group for optimizer in optimizers.values() for group in optimizer.param_groups], first.betas, first.eps)
    for optimizer in optimizers.values():
        out.state.update(optimizer.state)
    return out
