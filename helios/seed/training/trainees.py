"""What the training loop optimises: one cell (:class:`OneCell`) or a batch of cells (:class:`CellBatch`).

Both give the loop and the step runner the same pieces: ``raw`` parameters,
``before`` (activations and regularisers), ``render`` (a step's views),
``after`` (the loss of each cell against its ground truth), the objective
over all training views, held-out quality, and parameter snapshots per cell.

A batch stacks its cells' Gaussians along a leading dimension, padded to the
largest cell with zero-opacity Gaussians, and renders them through gsplat's
batch dimensions.  The loss is the sum of the cells' losses, so each cell
receives exactly its own gradient, and Adam acts element-wise: a cell trains
as it would alone, up to floating-point summation order.  What changes is the
cost: at 256 px a step is bound by kernel launches, not arithmetic, and one
launch serves every cell.  Densification (per-cell clone/split/prune) is for
a cell alone: it would re-pad the batch at every interval.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from helios.cameras import Views
from helios.seed.render import rasterize, rasterize_batch
from helios.seed.splats import activated
from helios.seed.training.objective import ImageLoss, image_quality, parts, regularisers, weighted_loss
from helios.seed.training.options import TrainOptions
from helios.seed.training.problem import CellProblem

PAD_VALUES = {"means": 0.0, "quats": 0.0, "scales": math.log(1e-3), "opacities": -20.0, "colors": 0.0}
# Images rendered at once when the objective is measured over every training view of a batch.
FULL_LOSS_IMAGES = 256
# gsplat 1.5.3's projection backward sums the gradients of a warp's threads by
# Gaussian index alone (cg::labeled_partition(warp, gid) in
# ProjectionEWA3DGSFused.cu), ignoring the batch index: when a warp of 32
# threads spans two batch elements holding the same Gaussian index, their means
# and scales gradients are summed into one of them.  That happens only for
# scenes of at most 31 Gaussians, so every batch is padded to at least 32.
MIN_PADDED_SPLATS = 32


class OneCell:
    """One cell's splats, ``[N, ...]`` parameters that densification may replace."""

    size = 1

    def __init__(self, problem: CellProblem, options: TrainOptions, backend: str, device: torch.device, image_loss: ImageLoss) -> None:
        self.problems = [problem]
        self.options, self.backend, self.image_loss = options, backend, image_loss
        self.params = torch.nn.ParameterDict({k: torch.nn.Parameter(v.to(device)) for k, v in problem.init.items()})
        # Each step's cameras, gathered once: a step then only takes views of these.
        views = problem.train_views
        self._step_viewmats, self._step_Ks = views.viewmats[problem.picks], views.Ks[problem.picks]
        self._all_views = torch.arange(len(views), device=device)
        self.step_images_shape = (options.views_per_iter, *problem.gt_train.shape[1:])

    def raw(self) -> tuple[torch.Tensor, ...]:
        return self.params["scales"], self.params["opacities"], self.params["colors"]

    def before(self, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(scales, opacities, colours)`` activated, then ``(isotropy, collapse)``."""
        isotropy, collapse = regularisers(scales, self.options.min_scale_ratio)
        return *activated(scales, opacities, colors), isotropy, collapse

    def render(self, step: int, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor,
               with_info: bool) -> tuple[torch.Tensor, dict[str, Any]]:
        views = Views(self._step_viewmats[step], self._step_Ks[step], self.options.image_size, self.options.image_size)
        return self._rasterize(scales, opacities, colors, views, with_info)

    def _rasterize(self, scales, opacities, colors, views: Views, with_info: bool) -> tuple[torch.Tensor, dict[str, Any]]:
        p = self.params
        return rasterize(self.backend, p["means"], p["quats"], scales, opacities, colors, views, with_info=with_info)

    def pick(self, step: int) -> torch.Tensor:
        return self.problems[0].picks[step]

    def after(self, images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(loss, parts)``: the scalar loss on the views ``pick`` and, detached, its ``PARTS`` ``[5, 1]``."""
        l1, dssim = (part.mean() for part in self.image_loss(images, self.problems[0].gt_train[pick]))
        loss = weighted_loss(self.options, l1, dssim, isotropy, collapse)
        return loss, parts(loss, l1, dssim, isotropy, collapse)

    def splat_counts(self) -> list[int]:
        return [int(self.params["means"].shape[0])]

    @torch.no_grad()
    def full_loss(self) -> list[float]:
        """The objective over all training views."""
        *activated_params, isotropy, collapse = self.before(*self.raw())
        images, _ = self._rasterize(*activated_params, self.problems[0].train_views, with_info=False)
        return [self.after(images, self._all_views, isotropy, collapse)[1][0, 0].item()]

    @torch.no_grad()
    def evaluate(self) -> list[tuple[float, float]]:
        """Held-out ``(PSNR dB, SSIM)``."""
        *activated_params, _, _ = self.before(*self.raw())
        images, _ = self._rasterize(*activated_params, self.problems[0].eval_views, with_info=False)
        return image_quality(images[None], self.problems[0].gt_eval[None], self.image_loss)

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.params.items()}

    def keep(self, best: dict[str, torch.Tensor], cells: list[bool]) -> dict[str, torch.Tensor]:
        return self.snapshot() if cells[0] else best

    def drop(self, cells: list[int], best: dict[str, torch.Tensor], moments: Any) -> None:
        """A cell alone that diverged: nothing left to train (the loop stops)."""

    def restore(self, best: dict[str, torch.Tensor], moments: Any) -> None:
        for name, tensor in best.items():
            self.params[name] = torch.nn.Parameter(tensor)

    def cell_params(self, b: int) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu() for k, v in self.params.items()}


def _padded(tensors: list[torch.Tensor], length: int, fill: float) -> torch.Tensor:
    out = torch.full((len(tensors), length, *tensors[0].shape[1:]), fill, dtype=tensors[0].dtype)
    for b, tensor in enumerate(tensors):
        out[b, : tensor.shape[0]] = tensor
    return out


class CellBatch:
    """The stacked problems of B non-empty cells and their padded ``[B, N, ...]`` parameters."""

    def __init__(self, problems: list[CellProblem], options: TrainOptions, backend: str, device: torch.device, image_loss: ImageLoss) -> None:
        self.problems, self.options, self.backend, self.device, self.image_loss = problems, options, backend, device, image_loss
        self.size = len(problems)
        self.image_size = options.image_size
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
        self.step_images_shape = (self.size, options.views_per_iter, self.image_size, self.image_size, 3)

    def raw(self) -> tuple[torch.Tensor, ...]:
        return self.params["scales"], self.params["opacities"], self.params["colors"]

    def before(self, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Activated ``(scales, opacities, colours)`` (padding and diverged cells transparent), then per-cell ``(isotropy, collapse)``."""
        scales_act, opacities_act, colors_act = activated(scales, opacities, colors)
        opacities_act = opacities_act * self.valid
        isotropy, collapse = regularisers(scales, self.options.min_scale_ratio, self.valid)
        return scales_act, opacities_act, colors_act, isotropy, collapse

    def _rasterize(self, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor, viewmats: torch.Tensor,
                   Ks: torch.Tensor) -> torch.Tensor:
        p = self.params
        counts = self.counts if self.backend == "gsplat" else [n if self.valid[b, 0] > 0 else 0 for b, n in enumerate(self.counts)]
        return rasterize_batch(self.backend, p["means"], p["quats"], scales, opacities, colors, viewmats, Ks, self.image_size, counts)

    def render(self, step: int, scales: torch.Tensor, opacities: torch.Tensor, colors: torch.Tensor,
               with_info: bool) -> tuple[torch.Tensor, dict[str, Any]]:
        pick = self.picks[step]
        return self._rasterize(scales, opacities, colors, self.train_viewmats[self.cell_index, pick], self.train_Ks[self.cell_index, pick]), {}

    def pick(self, step: int) -> torch.Tensor:
        return self.picks[step]

    def after(self, images: torch.Tensor, pick: torch.Tensor, isotropy: torch.Tensor, collapse: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-cell ``[B]`` loss on each cell's views ``pick`` ``[B, V]``, and its ``PARTS`` ``[5, B]`` detached."""
        b, v = pick.shape
        s = self.image_size
        target = self.gt_train[self.cell_index, pick]
        l1, dssim = self.image_loss(images.reshape(b * v, s, s, 3), target.reshape(b * v, s, s, 3))
        l1, dssim = l1.view(b, v).mean(dim=1), dssim.view(b, v).mean(dim=1)
        loss = weighted_loss(self.options, l1, dssim, isotropy, collapse)
        return loss, parts(loss, l1, dssim, isotropy, collapse)

    def splat_counts(self) -> list[int]:
        return list(self.counts)

    @torch.no_grad()
    def full_loss(self) -> list[float]:
        """Each cell's objective over all its training views."""
        *activated_params, isotropy, collapse = self.before(*self.raw())
        n_views = self.train_viewmats.shape[1]
        chunk = max(1, FULL_LOSS_IMAGES // self.size)
        l1_sum = torch.zeros(self.size, device=self.device)
        dssim_sum = torch.zeros(self.size, device=self.device)
        s = self.image_size
        for start in range(0, n_views, chunk):
            views = slice(start, min(start + chunk, n_views))
            images = self._rasterize(*activated_params, self.train_viewmats[:, views], self.train_Ks[:, views])
            b, v = images.shape[:2]
            l1, dssim = self.image_loss(images.reshape(b * v, s, s, 3), self.gt_train[:, views].reshape(b * v, s, s, 3))
            l1_sum += l1.view(b, v).sum(dim=1)
            dssim_sum += dssim.view(b, v).sum(dim=1)
        return weighted_loss(self.options, l1_sum / n_views, dssim_sum / n_views, isotropy, collapse).tolist()

    @torch.no_grad()
    def evaluate(self) -> list[tuple[float, float]]:
        """Held-out ``(PSNR dB, SSIM)`` per cell."""
        *activated_params, _, _ = self.before(*self.raw())
        return image_quality(self._rasterize(*activated_params, self.eval_viewmats, self.eval_Ks), self.gt_eval, self.image_loss)

    def snapshot(self) -> dict[str, torch.Tensor]:
        return {name: tensor.detach().clone() for name, tensor in self.params.items()}

    def keep(self, best: dict[str, torch.Tensor], cells: list[bool]) -> dict[str, torch.Tensor]:
        """``best`` with the current parameters of the cells marked in ``cells``."""
        mask = torch.tensor(cells, device=self.device)
        return {name: torch.where(mask.view(-1, *([1] * (tensor.dim() - 1))), tensor.detach(), best[name])
                for name, tensor in self.params.items()}

    def drop(self, cells: list[int], best: dict[str, torch.Tensor], moments: Any) -> None:
        """Cells that diverged: back to their best parameters, and out of the rest of the batch."""
        mask = torch.zeros(self.size, dtype=torch.bool, device=self.device)
        mask[cells] = True
        self._restore(best, mask, moments)
        self.valid[mask] = 0.0

    def restore(self, best: dict[str, torch.Tensor], moments: Any) -> None:
        """Every cell back to ``best`` (and in view again, for the final evaluation)."""
        self._restore(best, torch.ones(self.size, dtype=torch.bool, device=self.device), moments)
        self.valid.copy_(self.cell_splats)

    def _restore(self, best: dict[str, torch.Tensor], cells: torch.Tensor, moments: Any) -> None:
        """Put the cells in the ``[B]`` mask ``cells`` back to ``best`` and clear their Adam moments."""
        with torch.no_grad():
            for name, tensor in self.params.items():
                mask = cells.view(-1, *([1] * (tensor.dim() - 1)))
                tensor.copy_(torch.where(mask, best[name], tensor))
                for key, moment in moments(tensor).items():
                    if key != "step" and moment.shape == tensor.shape:
                        moment.copy_(torch.where(mask, torch.zeros_like(moment), moment))

    def cell_params(self, b: int) -> dict[str, torch.Tensor]:
        return {name: tensor[b, : self.counts[b]].detach().cpu() for name, tensor in self.params.items()}
