"""A run's checks and the thresholds they are held to (the config's ``validate:`` section): the validation's
vocabulary, shared by :mod:`helios.validate` and each product's own checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from helios.config import from_mapping


@dataclass(frozen=True)
class Thresholds:
    """What a run must reach (the config's ``validate:`` section; the schema describes each field)."""

    min_median_loss_reduction: float = 0.01
    min_median_psnr_gain_db: float = 0.0
    max_level_light_error: float = 0.01
    allow_diverged: bool = False

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Thresholds:
        return from_mapping(cls, values, "validation setting(s)")


class Checks:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.items.append({"name": name, "ok": bool(ok), "detail": detail})
        return ok

    @property
    def ok(self) -> bool:
        return all(item["ok"] for item in self.items)


def finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
