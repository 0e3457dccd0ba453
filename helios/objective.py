"""One cell's training objective around the rasteriser.

``before``: pre-activation parameters -> the activated splats the rasteriser
draws, plus the two regularisers on the log-scales.  ``after``: rendered
views -> the loss ``(1 - l) L1 + l (1 - SSIM) + l_iso isotropy + l_col
collapse`` against their ground truth.  Once the splat count is final
(densification over) :meth:`CellObjective.freeze` captures both as CUDA
graphs (``helios.cuda_graphs``); on the CPU, or with graphs disabled, the
same functions run eagerly.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from helios.cameras import Views
from helios.cuda_graphs import cuda_graphs_enabled, graphed
from helios.loss import ImageLoss
from helios.render import rasterize
from helios.splats import activated

PARTS = ("loss", "l1", "dssim", "isotropy", "collapse")


def regularisers(log_scales: torch.Tensor, min_ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Isotropy (variance of log-scales across axes) and anti-collapse (smallest/largest below ``min_ratio``)."""
    isotropy = log_scales.var(dim=1, unbiased=False).mean()
    spread = log_scales.min(dim=1).values - log_scales.max(dim=1).values  # log(smallest / largest)
    collapse = torch.relu(math.log(min_ratio) - spread).mean()
    return isotropy, collapse


def weighted_loss(options: Any, l1: torch.Tensor, dssim: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> torch.Tensor:
    """``(1 - l) L1 + l (1 - SSIM) + l_iso isotropy + l_col collapse`` (per cell when the terms are per cell)."""
    o = options
    return (1 - o.lambda_dssim) * l1 + o.lambda_dssim * dssim + o.lambda_isotropy * isotropy + o.lambda_collapse * collapse


class CellObjective:
    """The loss of one cell's splats on some of its training views (``options``: a ``TrainOptions``)."""

    def __init__(self, backend: str, options: Any, gt_train: torch.Tensor, image_loss: ImageLoss) -> None:
        self.backend, self.options, self.gt_train, self.image_loss = backend, options, gt_train, image_loss
        self._before_graph = self._after_graph = None
        self._frozen: tuple[torch.Tensor, ...] = ()
        self._parts = torch.zeros(0)

    def before(self, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(scales, opacities, colours)`` activated, then ``(isotropy, collapse)``."""
        isotropy, collapse = regularisers(scales, self.options.min_scale_ratio)
        return *activated(scales, opacities, colors), isotropy, collapse

    def after(self, images: torch.Tensor, target: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(loss, parts)``: the scalar loss and, detached, the ``PARTS`` stacked (for the loss curve)."""
        l1, dssim = (part.mean() for part in self.image_loss.eager(images, target))
        loss = weighted_loss(self.options, l1, dssim, isotropy, collapse)
        return loss, torch.stack([loss, l1, dssim, isotropy, collapse]).detach()

    def _after_picked(self, images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.after(images, self.gt_train[pick], isotropy, collapse)

    def freeze(self, params: dict[str, torch.Tensor], views_per_iter: int) -> None:
        """Capture both halves as CUDA graphs for these parameter tensors (CUDA only; no-op elsewhere).

        The graphs read the parameters, and the first half's regularisers, where
        they lie (no copy in per step), and write the parts of the loss into a
        buffer (:meth:`step` returns it; the next step overwrites it).
        """
        if self._frozen or params["means"].device.type != "cuda" or not cuda_graphs_enabled():
            return
        raw = (params["scales"], params["opacities"], params["colors"])
        # The captures' inputs are new leaves on the same storage: a parameter already used
        # in a backward pass carries that pass's (default) stream, and a captured backward
        # ending at it would make CUDA join the default stream into the capture, which it refuses.
        self._before_graph = graphed(self.before, _aliases(raw))
        with torch.no_grad():
            *_, isotropy, collapse = self._before_graph(*raw)
        device = self.gt_train.device
        images = torch.rand((views_per_iter, *self.gt_train.shape[1:]), device=device, requires_grad=True)
        self._parts = torch.zeros(len(PARTS), device=device)
        self._after_graph = graphed(self._after_into_parts, (images, torch.arange(views_per_iter, device=device), *_aliases((isotropy, collapse))))
        self._frozen = raw

    def _after_into_parts(self, images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> torch.Tensor:
        loss, parts = self._after_picked(images, pick, isotropy, collapse)
        self._parts.copy_(parts)
        return loss

    def step(self, params: dict[str, torch.Tensor], views: Views, pick: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
        """``(loss, parts, info)`` of one training step on the views ``pick`` (``views``: those cameras)."""
        raw = (params["scales"], params["opacities"], params["colors"])
        frozen = self._frozen and all(a is b for a, b in zip(raw, self._frozen))
        if frozen:
            scales, opacities, colors, isotropy, collapse = self._before_graph(*raw)
        else:
            scales, opacities, colors, isotropy, collapse = self.before(*raw)
        # Once frozen (densification over) no strategy reads ``info``.
        images, info = rasterize(self.backend, params["means"], params["quats"], scales, opacities, colors, views, with_info=not frozen)
        if frozen and torch.is_grad_enabled():
            return self._after_graph(images, pick, isotropy, collapse), self._parts, info
        loss, parts = self._after_picked(images, pick, isotropy, collapse)
        return loss, parts, info

    def full(self, params: dict[str, torch.Tensor], views: Views, target: torch.Tensor) -> torch.Tensor:
        """``PARTS`` over ``views`` against ``target`` (no gradient; e.g. every training view)."""
        with torch.no_grad():
            scales, opacities, colors, isotropy, collapse = self.before(params["scales"], params["opacities"], params["colors"])
            images, _ = rasterize(self.backend, params["means"], params["quats"], scales, opacities, colors, views, with_info=False)
            return self.after(images, target, isotropy, collapse)[1]


def _aliases(tensors: tuple[torch.Tensor, ...]) -> tuple[torch.Tensor, ...]:
    """New leaves that require grad, on the storage of ``tensors``."""
    return tuple(t.detach().requires_grad_(True) for t in tensors)
