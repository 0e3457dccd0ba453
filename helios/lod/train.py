"""Training a level's Gaussians to the light of the stars they replace, seen from where the level is used.

Ground truth: the stars not kept as points, drawn as points (:func:`helios.render.points.render_points`)
in linear flux from cameras outside the cell, ``distance_range`` bounding radii from its centre,
framing it.  The Gaussians start as the clustered level (:mod:`helios.lod.cluster`) and are fitted
through the additive Gaussian renderer (:mod:`helios.render.glow`), their total luminosity held at
the stars', with Adam on an L1 loss of
``asinh(x / softening)`` (:attr:`helios.lod.options.LevelOptions.softening`): linear for faint glow, logarithmic for bright pixels, so that the faint
light counts.  The best parameters on the held-out views are kept, starting with the clustered
ones: training never makes a level worse on its held-out views, and says when it adds nothing.

Work happens in the cell's normalised frame (centre 0, bounding radius 1): positions and
covariances are scaled by the radius, luminosities by its square, so fluxes are unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from helios import photometry
from helios.adam import FusedAdam
from helios.cameras import sample_views
from helios.covariance import quat_scale_to_covar
from helios.lod.gaussians import GlowGaussians
from helios.lod.options import LevelOptions
from helios.render.glow import render_glow
from helios.render.points import render_points


@dataclass
class LevelTrainReport:
    loss_clustered: float  # held-out loss of the starting (clustered) Gaussians
    loss_trained: float  # held-out loss of the kept parameters
    best_step: int  # 0: training added nothing on the held-out views
    diverged_at: int | None = None  # the step whose loss was not finite (training stopped there)
    curve: list[tuple[int, float, float]] = field(default_factory=list)  # (step, train loss, held-out loss)

    @property
    def improvement(self) -> float:
        """Relative reduction of the held-out loss."""
        return 1.0 - self.loss_trained / self.loss_clustered if self.loss_clustered > 0 else 0.0


class _Parameters(torch.nn.Module):
    """The trainable Gaussians.  Their total luminosity is fixed at the stars' (a softmax shares it out):
    an L1 loss on images of sparse stars would otherwise pay for dimming the diffuse light, and a level
    must carry its stars' light at any distance.  Their luminosity-weighted centroid is fixed at the
    stars' too (the clustered start's): the flux seen from a point outside then stays right to first
    order in the cell's size, also nearer than the training views.  (Three real Hipparcos-2 cells seen
    from the Sun, 0.92 bounding radii from their centres: the 10 % level's light was off by up to 6 %
    with free means, 3 % with the centroid held; the held-out gain was the same.)"""

    def __init__(self, gaussians: GlowGaussians) -> None:
        super().__init__()
        scales, quats = gaussians.scales_and_rotations()
        self.means = torch.nn.Parameter(torch.tensor(gaussians.means))
        self.log_scales = torch.nn.Parameter(torch.tensor(np.log(scales)))
        self.quats = torch.nn.Parameter(torch.tensor(quats))
        self.log_colours = torch.nn.Parameter(torch.tensor(np.log(np.clip(gaussians.colours, 1e-12, None))))
        total = float(gaussians.luminosity.sum())
        self.register_buffer("total_luminosity", torch.tensor(total, dtype=torch.float64))
        self.share_logits = torch.nn.Parameter(torch.tensor(np.log(np.clip(gaussians.luminosity / total, 1e-300, None))))
        self.register_buffer("centroid", torch.tensor(gaussians.luminosity @ gaussians.means / total))

    def render_inputs(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        rgb = torch.exp(self.log_colours)
        colours = rgb / (rgb @ torch.tensor(photometry.LUMINANCE_WEIGHTS, dtype=rgb.dtype, device=rgb.device))[:, None]
        luminosity = self.total_luminosity * torch.softmax(self.share_logits, 0)
        means = self.means - (luminosity @ self.means) / self.total_luminosity + self.centroid
        return means, quat_scale_to_covar(self.quats, torch.exp(self.log_scales)), luminosity, colours

    def gaussians(self, centre: np.ndarray, radius: float) -> GlowGaussians:
        with torch.no_grad():
            means, covariances, luminosity, colours = (t.cpu().numpy().copy() for t in self.render_inputs())
        return GlowGaussians(means * radius + centre, covariances * radius**2, luminosity * radius**2, colours)


def train_level(positions: np.ndarray, abs_mag: np.ndarray, colours: np.ndarray, start: GlowGaussians, centre: np.ndarray,
                radius: float, seed: int, options: LevelOptions = LevelOptions(),
                device: str | torch.device = "cpu") -> tuple[GlowGaussians, LevelTrainReport]:
    """Fit ``start`` (Gaussians in pc) to the light of the stars ``positions`` (pc); the kept Gaussians and a report.
    Of ``options`` only the training fields count (not ``fractions`` nor ``point_share``, which make the level)."""
    torch.manual_seed(seed)
    norm_positions = (np.asarray(positions) - centre) / radius
    norm_abs_mag = np.asarray(abs_mag) + 5 * math.log10(radius)  # luminosity / radius^2
    normalised = GlowGaussians((start.means - centre) / radius, start.covariances / radius**2, start.luminosity / radius**2, start.colours)
    train = sample_views(options.train_views, options.image_size, seed, options.distance_range)
    held_out = sample_views(options.eval_views, options.image_size, seed + 1_000_003, options.distance_range)
    targets = render_points(norm_positions, colours, norm_abs_mag, train, device=device)
    eval_targets = render_points(norm_positions, colours, norm_abs_mag, held_out, device=device)
    s = options.softening

    def loss_of(images: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
        return (torch.asinh(images / s) - torch.asinh(wanted / s)).abs().mean()

    params = _Parameters(normalised).to(device)
    params.log_colours.requires_grad_(options.train_colours)

    def held_out_loss() -> float:
        with torch.no_grad():
            return float(loss_of(render_glow(*params.render_inputs(), held_out), eval_targets))

    trainable = [p for p in params.parameters() if p.requires_grad]
    optimiser = FusedAdam([{"params": trainable, "lr": options.rate_for(len(start)), "name": "level"}], eps=1e-8)
    best = held_out_loss()
    report = LevelTrainReport(best, best, 0)
    best_state = {k: v.detach().clone() for k, v in params.state_dict().items()}
    rng = np.random.default_rng(seed)
    for step in range(1, options.iterations + 1):
        chosen = torch.as_tensor(rng.choice(len(train), size=min(options.views_per_iter, len(train)), replace=False))
        views = train.subset(chosen)
        chosen = chosen.to(device)
        loss = loss_of(render_glow(*params.render_inputs(), views), targets[chosen])
        if not torch.isfinite(loss):
            report.diverged_at = step
            break
        if loss.requires_grad:  # else no Gaussian reaches these views: nothing to learn from them
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        if step % options.eval_every == 0 or step == options.iterations:
            current = held_out_loss()
            if not math.isfinite(current):
                report.diverged_at = step
                break
            report.curve.append((step, loss.item(), current))
            if current < best:
                best, report.best_step = current, step
                best_state = {k: v.detach().clone() for k, v in params.state_dict().items()}
    params.load_state_dict(best_state)
    report.loss_trained = best
    return params.gaussians(centre, radius), report

