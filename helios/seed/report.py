"""The seed trainer's report: every cell's convergence, three cells (best, median and worst loss reduction)
re-rendered beside their ground truth, and the metrics a website shows.

Everything is computed from the trained index, the per-cell metrics and, for the gallery only, three cells
re-rendered, so a report over 1,000 cells takes seconds.
"""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.collections import LineCollection

from helios.cell import load_cell
from helios.colour import srgb_encode
from helios.files import write_json
from helios.grid import Grid
from helios.partition import read_index
from helios.report import REPORT_FORMAT, plot_sky, plot_sky_as_seen, save_figure, write_html
from helios.report_parts import ReportParts
from helios.seed.ply import read_ply
from helios.seed.render.reference import starfield_exposure
from helios.seed.render.torch_raster import rasterize_torch
from helios.seed.splats import init_params, sh0_to_rgb
from helios.seed.training.options import TrainOptions
from helios.seed.training.problem import reference_images, training_views


def _median(values: list[float]) -> float | None:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.median(values) if values else None


def training_metrics(trained_index: dict[str, Any], curves: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    """Aggregate and per-cell figures (what a website shows)."""
    rows = []
    for cell in trained_index["cells"]:
        m = cell["metrics"]
        gain = (m["psnr_after"] - m["psnr_before"]) if m.get("psnr_after") is not None and m.get("psnr_before") is not None else None
        rows.append({"id": cell["id"], "status": cell["status"], "stars": m.get("star_count"), "splats": cell["splat_count"],
                     "loss_initial": m.get("loss_initial"), "loss_final": m.get("loss_final"), "loss_reduction": m.get("loss_reduction"),
                     "psnr_before": m.get("psnr_before"), "psnr_after": m.get("psnr_after"), "psnr_gain": gain,
                     "ssim_before": m.get("ssim_before"), "ssim_after": m.get("ssim_after"), "curve_points": len(curves.get(cell["id"], []))})
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    aggregate = {
        "cells": len(rows),
        "statuses": statuses,
        "splats": sum(r["splats"] for r in rows),
        "median_loss_reduction": _median([r["loss_reduction"] for r in rows]),
        "min_loss_reduction": min((r["loss_reduction"] for r in rows if r["loss_reduction"] is not None), default=None),
        "median_psnr_gain_db": _median([r["psnr_gain"] for r in rows]),
        "cells_psnr_improved": sum(1 for r in rows if r["psnr_gain"] is not None and r["psnr_gain"] > 0),
    }
    return {"format": REPORT_FORMAT, "version": 1, "config_hash": trained_index["config_hash"], "aggregate": aggregate, "cells": rows}


def plot_convergence(curves: dict[str, list[dict[str, float]]], path: Path) -> None:
    """Loss / initial loss against step for every cell, with the median curve."""
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    lines, grid_steps = [], None
    normalised = []
    for curve in curves.values():
        if len(curve) < 2 or not curve[0]["loss"]:
            continue
        steps = np.array([p["step"] for p in curve], dtype=float)
        loss = np.array([p["loss"] for p in curve]) / curve[0]["loss"]
        lines.append(np.stack([steps, loss], axis=1))
        normalised.append((steps, loss))
        grid_steps = steps if grid_steps is None or len(steps) > len(grid_steps) else grid_steps
    if lines:
        ax.add_collection(LineCollection(lines, colors="0.6", linewidths=0.6, alpha=0.5, label=f"cells ({len(lines)})"))
        median = np.median([np.interp(grid_steps, s, loss) for s, loss in normalised], axis=0)
        ax.plot(grid_steps, median, color="C3", linewidth=2.5, label="median")
        ax.set_xlim(0, grid_steps.max())
        ax.set_yscale("log")
        ax.autoscale(axis="y")
    ax.set_xlabel("iteration")
    ax.set_ylabel("training loss / initial loss")
    ax.set_title("Convergence of every trained cell")
    ax.legend(loc="upper right")
    ax.grid(alpha=0.3, which="both")
    save_figure(fig, path)


def render_comparison(cell_file: Path, ply_file: Path, metrics: dict[str, Any], grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Ground truth and trained render of the cell's first evaluation view (linear RGB)."""
    options = TrainOptions.from_mapping(metrics["options"])
    cell = load_cell(cell_file, grid)
    train_views, eval_views = training_views(options, metrics["cell_seed"])
    exposure = starfield_exposure(cell.positions, cell.luminosity, train_views)
    view = eval_views.subset(torch.tensor([0]))
    init = init_params(cell.positions, cell.rgb, cell.abs_mag)
    truth = reference_images(cell, options, view, exposure, init)[0].numpy()
    ply = read_ply(ply_file)
    scale = cell.scale_pc
    with torch.no_grad():
        image, _ = rasterize_torch(
            torch.tensor(ply["means"] / scale, dtype=torch.float32), torch.tensor(ply["quats"]),
            torch.exp(torch.tensor(ply["scales"]) - math.log(scale)), torch.sigmoid(torch.tensor(ply["opacities"])),
            sh0_to_rgb(torch.tensor(ply["colors"])), view)
    return truth, image[0].clamp(0, 1).numpy()


def plot_gallery(pairs: list[tuple[str, str, np.ndarray, np.ndarray]], path: Path) -> None:
    if not pairs:
        fig = plt.figure(figsize=(6, 2), dpi=110)
        fig.text(0.5, 0.5, "no trained cell with splats to show", ha="center", va="center")
        save_figure(fig, path)
        return
    fig, axes = plt.subplots(len(pairs), 2, figsize=(6, 3 * len(pairs)), dpi=110, squeeze=False)
    for row, (label, cell_id, truth, trained) in enumerate(pairs):
        for col, (image, title) in enumerate(((truth, "ground truth"), (trained, "trained"))):
            axes[row, col].imshow(srgb_encode(image), interpolation="nearest")
            axes[row, col].set_title(f"{label} {cell_id}: {title}", fontsize=9, color="white")
            axes[row, col].axis("off")
    fig.tight_layout()
    save_figure(fig, path, "black")



def build_splats_report(trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
                        validation: dict[str, Any] | None, parts: ReportParts) -> dict[str, Any]:
    """The report of the seed trainer's splats (``parts``: the sky figure's images, :func:`helios.report.sky_parts`)."""
    per_cell = {c["id"]: json.loads((trained_dir / c["metrics_file"]).read_text()) for c in trained_index["cells"]}
    curves = {cell_id: m.get("loss_curve", []) for cell_id, m in per_cell.items()}
    metrics = training_metrics(trained_index, curves)
    write_json(report_dir / "training_metrics.json", metrics)
    plot_convergence(curves, report_dir / "convergence.png")
    ranked = sorted((c for c in trained_index["cells"] if c["status"] == "ok" and c["splat_count"] > 0),
                    key=lambda c: (c["metrics"]["loss_reduction"] or 0.0, c["id"]))
    picks = [("best", ranked[-1]), ("median", ranked[len(ranked) // 2]), ("worst", ranked[0])] if ranked else []
    grid = Grid.from_mapping(trained_index["grid"])
    cell_files = {c["id"]: c["file"] for c in read_index(universe_dir / "index.json")["cells"]}
    pairs = []
    for label, cell in picks:
        truth, trained = render_comparison(universe_dir / cell_files[cell["id"]], trained_dir / cell["file"], per_cell[cell["id"]], grid)
        pairs.append((label, cell["id"], truth, trained))
    plot_gallery(pairs, report_dir / "gallery.png")
    plot_sky(parts, report_dir / "sky.png")
    plot_sky_as_seen(parts, report_dir / "sky_as_seen.png")
    write_html(metrics, report_dir / "convergence.png", report_dir / "gallery.png", report_dir / "report.html", validation, report_dir / "sky.png",
               sky_as_seen=report_dir / "sky_as_seen.png")
    return metrics
