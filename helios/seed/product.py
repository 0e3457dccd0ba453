"""The seed trainer's splats as a product (``train.ground_truth: starfield`` or ``splats``; docs/seed-trainer.md)."""

from __future__ import annotations

import importlib
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from helios.checks import Checks, Thresholds, finite
from helios.errors import HeliosError
from helios.files import load_json
from helios.pack.format import PackBlock, splat_block
from helios.products import Product
from helios.trained_index import file_entry

#: What the trained index keeps of a cell's metrics.
SUMMARY_KEYS = ("loss_initial", "loss_final", "loss_reduction", "iterations_run", "best_step", "splats_initial", "star_count")
METRIC_KEYS = ("loss_initial", "loss_final", "psnr_before", "psnr_after")


class SplatsProduct(Product):
    """Every star of a cell as a 3D Gaussian splat, fitted by the seed trainer to reference renders of its star
    field (``starfield``) or of the stars' own Gaussians (``splats``) (rule ``train_splats``, helios/seed/training/)."""

    rule = "train_splats"
    folder = "splats"
    suffixes = (".ply", ".json")
    count_key = "splat_count"

    def check_config(self, config: dict[str, Any]) -> None:
        """Bad train: values fail here, with HELIOS's message; batched jobs cannot densify."""
        from helios.seed.training import TrainOptions

        train, batch_cells = config["train"], config.get("train_jobs", {}).get("batch_cells", 1)
        TrainOptions.from_mapping(train)
        if batch_cells > 1 and train["densify_until"] > train["densify_from"]:
            raise HeliosError(f"config: train_jobs.batch_cells {batch_cells} trains cells in batches, which cannot densify, but "
                              f"train.densify_until {train['densify_until']} > train.densify_from {train['densify_from']}: "
                              "set train.densify_until: 0, or train_jobs.batch_cells: 1")

    def default_gpus(self, config: dict[str, Any]) -> int:
        """One GPU for the gsplat backends (auto, gsplat), none for torch."""
        return int(config["train"]["backend"] != "torch")

    def trained_from(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"train": config["train"]}

    def index_entry(self, trained_dir: Path, stem: str) -> dict[str, Any]:
        result, metrics_file = self.cell_files(stem)
        metrics = load_json(trained_dir / metrics_file, "cell metrics")
        evaluation = metrics.get("eval") or {}
        return {**file_entry(trained_dir / result, result, "trained cell"),
                "metrics_file": metrics_file,
                "splat_count": metrics["splats_final"],
                "status": metrics["status"],
                "backend": metrics["backend"],
                "metrics": {**{k: metrics.get(k) for k in SUMMARY_KEYS},
                            **{k: evaluation.get(k) for k in ("psnr_before", "psnr_after", "ssim_before", "ssim_after")}}}

    def pack_blocks(self, trained_dir: Path, cell: dict[str, Any], abs_mag: np.ndarray, radius_pc: float,
                    encoding: str) -> list[PackBlock]:
        """One ``splats`` block: the cell's PLY in the pack's splat records."""
        from helios.seed.ply import ply_records, read_ply  # not at the Snakefile's parse (see LevelsProduct)

        return [splat_block(ply_records(read_ply(trained_dir / cell["file"])), encoding, radius_pc)]

    def validate(self, checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
        not_finite, finite_cells, diverged = check_training(checks, cells, thresholds)
        initial = sum(c["metrics"]["loss_initial"] for c in finite_cells)
        final = sum(c["metrics"]["loss_final"] for c in finite_cells)
        return {"cells": {"diverged": len(diverged), "empty": sum(c["status"] == "empty" for c in cells), "not_finite": len(not_finite),
                          "not_improved": sum(c["metrics"]["loss_final"] >= c["metrics"]["loss_initial"] for c in finite_cells)},
                "splats": sum(c["splat_count"] for c in cells),
                "loss": {"initial_total": initial, "final_total": final, "reduction": (1 - final / initial) if initial > 0 else None}}

    def report(self, trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
               validation: dict[str, Any] | None, parts: Any) -> dict[str, Any]:
        # Imported by name: the report is not code the trained index, the pack or the validation run
        # (helios.provenance follows import statements into their code versions).
        return importlib.import_module("helios.seed.report").build_splats_report(trained_index, trained_dir, universe_dir, report_dir, validation,
                                                                          parts)


def _check_effect(checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> None:
    """The median loss reduction and held-out PSNR gain of ``cells`` (finite metrics) against the minimums."""
    if not cells:
        checks.add("loss reduction", False, "no trained cell with finite metrics")
        return
    reductions = {c["id"]: 1.0 - c["metrics"]["loss_final"] / c["metrics"]["loss_initial"] if c["metrics"]["loss_initial"] > 0 else 0.0
                  for c in cells}
    gains = {c["id"]: c["metrics"]["psnr_after"] - c["metrics"]["psnr_before"] for c in cells}
    median_reduction, median_gain = statistics.median(reductions.values()), statistics.median(gains.values())
    unchanged = sorted(cell for cell, reduction in reductions.items() if reduction <= 0)
    worse = sorted(cell for cell, gain in gains.items() if gain < 0)
    checks.add("loss reduction", median_reduction >= thresholds.min_median_loss_reduction,
               f"median {median_reduction:.1%} (at least {thresholds.min_median_loss_reduction:.1%}); "
               + (f"{len(unchanged)} cell(s) did not improve: {', '.join(unchanged[:10])}" if unchanged else "every cell improved"))
    checks.add("held-out PSNR", median_gain >= thresholds.min_median_psnr_gain_db,
               f"median gain {median_gain:+.2f} dB (at least {thresholds.min_median_psnr_gain_db:+.2f} dB); "
               + (f"{len(worse)} cell(s) got worse on held-out views: {', '.join(worse[:10])}" if worse else "no cell got worse"))


def check_training(checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Finite metrics, the training's effect and diverged cells, over ``trained/index.json``'s cell entries.

    Returns the ids of cells with metrics that are not finite (or missing), the trained cells whose metrics
    are finite, and the ids of the diverged cells.
    """
    trained_ok = [c for c in cells if c["status"] == "ok"]
    not_finite = [c["id"] for c in trained_ok if not all(finite(c["metrics"].get(k)) for k in METRIC_KEYS)]
    checks.add("finite metrics", not not_finite,
               f"not finite or missing: {', '.join(not_finite[:10])}" if not_finite else "every trained cell's metrics are finite")
    finite_cells = [c for c in trained_ok if c["id"] not in not_finite]
    _check_effect(checks, finite_cells, thresholds)
    diverged = [c["id"] for c in cells if c["status"] == "diverged"]
    detail = f"{len(diverged)} diverged (kept their best parameters): {', '.join(diverged[:10])}" if diverged else "none"
    if diverged and thresholds.allow_diverged:
        detail += " (allowed by validate.allow_diverged)"
    checks.add("diverged cells", not diverged or thresholds.allow_diverged, detail)
    return not_finite, finite_cells, diverged
