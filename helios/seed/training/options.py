"""What a cell is trained to and how: the ``train:`` section of the config and ``helios train-*``'s options.

Every field is described once, in the configuration schema
(``helios/data/config.schema.yaml``, section ``train``), where the command
line takes its help text from; the defaults below are the schema's (a test
keeps them equal).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from helios.config import from_mapping
from helios.errors import HeliosError

GROUND_TRUTHS = ("starfield", "splats")
#: ``train.ssim``: HELIOS's fused kernels where they run, or pytorch-msssim (helios.seed.accel.fused_ssim).
SSIM_CHOICES = ("auto", "fused", "pytorch_msssim")


@dataclass(frozen=True)
class TrainOptions:
    """Training settings; see the schema's ``train`` section for each field's meaning."""

    iterations: int = 1000
    learning_rate: float = 0.001
    views_per_iter: int = 4
    image_size: int = 256
    lambda_dssim: float = 0.2
    lambda_isotropy: float = 0.05
    lambda_collapse: float = 0.1
    min_scale_ratio: float = 0.1
    densify_interval: int = 100
    densify_from: int = 100
    densify_until: int = 800
    prune_opacity_threshold: float = 0.01
    grow_grad2d: float = 0.0002
    opacity_reset_every: int = 0
    max_splats: int | None = None
    backend: str = "auto"
    ssim: str = "auto"
    seed: int = 0
    ground_truth: str = "starfield"
    train_views: int = 32
    eval_views: int = 4
    psf_sigma_px: float = 1.0
    curve_every: int = 10
    select_every: int = 25

    def __post_init__(self) -> None:
        checks = [
            (self.iterations >= 1, "iterations must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (1 <= self.views_per_iter <= self.train_views, "views_per_iter must be between 1 and train_views"),
            (self.image_size >= 16, "image_size must be >= 16 pixels (SSIM uses an 11-pixel window)"),
            (0 <= self.lambda_dssim <= 1, "lambda_dssim must be in [0, 1]"),
            (self.lambda_isotropy >= 0 and self.lambda_collapse >= 0, "regulariser weights must be >= 0"),
            (0 < self.min_scale_ratio <= 1, "min_scale_ratio must be in (0, 1]"),
            (self.densify_interval >= 1, "densify_interval must be >= 1"),
            (self.max_splats is None or self.max_splats >= 1, "max_splats must be >= 1"),
            (self.ssim in SSIM_CHOICES, f"ssim must be one of {', '.join(SSIM_CHOICES)}"),
            (self.ground_truth in GROUND_TRUTHS, f"ground_truth must be one of {', '.join(GROUND_TRUTHS)}"),
            (self.eval_views >= 1, "eval_views must be >= 1"),
            (self.curve_every >= 1, "curve_every must be >= 1"),
            (self.select_every >= 1, "select_every must be >= 1"),
            (self.opacity_reset_every >= 0, "opacity_reset_every must be >= 0"),
        ]
        problems = [message for ok, message in checks if not ok]
        if problems:
            raise HeliosError("invalid training options: " + "; ".join(problems))

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> TrainOptions:
        return from_mapping(cls, values, "training option(s)")

    @property
    def densifies(self) -> bool:
        """Whether these options ask for clone/split/prune steps."""
        return self.densify_until > self.densify_from

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def config_hash(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()[:16]
