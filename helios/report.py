"""The convergence report: plot, metrics JSON, render gallery and one HTML page.

Everything is computed from the trained index, the per-cell metrics and, for
the gallery only, three cells re-rendered (best, median and worst loss
reduction), so a report over 1,000 cells takes seconds.
"""

from __future__ import annotations

import base64
import html
import json
import math
import statistics
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from helios import photometry  # noqa: E402
from helios.astro import GALACTIC_CENTRE_ICRS  # noqa: E402
from helios.cameras import pinhole  # noqa: E402
from helios.cell import load_cell  # noqa: E402
from helios.colour import srgb_encode  # noqa: E402
from helios.files import atomic_path, write_json  # noqa: E402
from helios.grid import Grid  # noqa: E402
from helios.landmarks import find_landmark, load_landmarks  # noqa: E402
from helios.outputs import SOFTWARE  # noqa: E402
from helios.seed.render.reference import starfield_exposure  # noqa: E402
from helios.render.sky import Universe, render_sky  # noqa: E402
from helios.seed.render.torch_raster import rasterize_torch  # noqa: E402
from helios.seed.splats import init_params, read_ply, sh0_to_rgb  # noqa: E402
from helios.seed.training.options import TrainOptions  # noqa: E402
from helios.seed.training.problem import reference_images, training_views  # noqa: E402

REPORT_FORMAT = "helios-training-metrics"


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


def save_figure(fig: Any, path: Path, facecolor: str | None = None) -> None:
    """Write a figure as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": SOFTWARE}, **({"facecolor": facecolor} if facecolor else {}))
    plt.close(fig)


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


#: The report's views of the assembled universe: (title, eye, look-at, up); places are "sun", the start of
#: a landmark's name, or ICRS coordinates in pc.
SKY_VIEWS = (
    ("from the Sun towards Orion", "sun", "Betelgeuse", (0.0, 0.0, 1.0)),
    ("from the Sun towards the Galactic centre", "sun", tuple(100.0 * GALACTIC_CENTRE_ICRS), (0.0, 0.0, 1.0)),
    ("from the Pleiades back to the Sun", "M 45 (Pleiades)", "sun", (0.0, 0.0, 1.0)),
    ("from 500 pc above the Sun (ICRS +z)", (0.0, 0.0, 500.0), "sun", (1.0, 0.0, 0.0)),
)


def universe_view(universe: Universe, eye: Any, target: Any, up: Any, fov: float, size: tuple[int, int],
                  marks: Any = None) -> Any:
    """The pinhole camera of a report view: places are "sun", the start of a landmark's name, or ICRS
    coordinates in pc (``up`` an ICRS direction), turned into the universe's frame."""
    marks = marks if marks is not None else load_landmarks()

    def place(where: Any) -> np.ndarray:
        if where == "sun":
            return np.zeros(3)
        if isinstance(where, str):
            return universe.landmark_position(find_landmark(marks, where))
        return universe.grid.to_frame(np.asarray([where], dtype=np.float64))[0]

    return pinhole(place(eye), place(target), fov, size[0], size[1], universe.grid.to_frame(np.asarray([up]))[0])


def plot_sky(universe_dir: str | Path, path: Path, size: tuple[int, int] = (640, 360), fov: float = 60.0) -> None:
    """The assembled universe from a few places, every star a point on the one photometric scale
    (``helios render --points``, limiting magnitude 6.5)."""
    universe = Universe(universe_dir)
    marks = load_landmarks()
    fig, axes = plt.subplots(2, 2, figsize=(2 * size[0] / 100, 2 * size[1] / 100 + 0.5), dpi=100, squeeze=False)
    for axis, (title, eye, target, up) in zip(axes.ravel(), SKY_VIEWS):
        views = universe_view(universe, eye, target, up, fov, size, marks)
        axis.imshow(photometry.display_image(render_sky(universe, views)[0]), interpolation="nearest")
        axis.set_title(title, fontsize=9, color="white")
        axis.axis("off")
    fig.tight_layout()
    save_figure(fig, path, "black")


def _build_levels_report(trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
                         validation: dict[str, Any] | None) -> dict[str, Any]:
    """The report of trained levels: the same files, the gallery showing levels beside points."""
    from helios.report_levels import level_curves, level_metrics, plot_level_convergence, plot_levels_beside_points

    per_cell = {c["id"]: json.loads((trained_dir / c["metrics_file"]).read_text()) for c in trained_index["cells"]}
    aggregate, rows = level_metrics(trained_index)
    fractions = tuple(sorted({level["fraction"] for cell in trained_index["cells"] for level in cell["levels"]}))
    aggregate["curves"] = level_curves(universe_dir, trained_dir, fractions) if fractions else []
    plot_level_convergence(per_cell, report_dir / "convergence.png", aggregate["curves"])
    aggregate["levels_beside_points"] = plot_levels_beside_points(universe_dir, trained_dir, report_dir / "gallery.png")
    metrics = {"format": REPORT_FORMAT, "version": 2, "ground_truth": "levels", "config_hash": trained_index["config_hash"],
               "aggregate": aggregate, "cells": rows}
    write_json(report_dir / "training_metrics.json", metrics)
    plot_sky(universe_dir, report_dir / "sky.png")
    levels = max((row["levels"] for row in rows), default=0)
    columns = ("id", "stars", "levels", "trained_levels", "gaussians", *(f"improvement_{n}" for n in range(1, levels + 1)), "median_improvement")
    title = ("<h2>Levels beside points</h2><p>Left: every star a point (<code>helios render --points</code>); right: each trained "
             "cell at the level the rule picks (<code>helios render</code>), untrained cells as points. Scores on the tone-mapped "
             "images (docs/levels.md).</p>")
    write_html(metrics, report_dir / "convergence.png", report_dir / "gallery.png", report_dir / "report.html", validation,
               report_dir / "sky.png", columns, title)
    return metrics


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else html.escape(str(value))


def validation_html(validation: dict[str, Any] | None) -> str:
    """The validation's verdict and every check, for the top of the report."""
    if validation is None:
        return ""
    verdict = "PASSED" if validation["ok"] else "FAILED"
    colour = "#1a7f37" if validation["ok"] else "#cf222e"
    items = "".join(f"<li><b style='color:{'#1a7f37' if c['ok'] else '#cf222e'}'>{'ok' if c['ok'] else 'FAIL'}</b> "
                    f"{html.escape(c['name'])}: {html.escape(c['detail'])}</li>" for c in validation["checks"])
    return f"<h2>Validation: <span style='color:{colour}'>{verdict}</span></h2><ul class='checks'>{items}</ul>"


SPLAT_COLUMNS = ("id", "status", "stars", "splats", "loss_initial", "loss_final", "loss_reduction", "psnr_before", "psnr_after", "psnr_gain")
SPLAT_GALLERY = "<h2>Gallery: best, median and worst cells (held-out view)</h2>"


def write_html(metrics: dict[str, Any], convergence: Path, gallery: Path, path: Path, validation: dict[str, Any] | None = None,
               sky: Path | None = None, columns: tuple[str, ...] = SPLAT_COLUMNS, gallery_title: str = SPLAT_GALLERY) -> None:
    agg = metrics["aggregate"]
    head = "".join(f"<th onclick='sortBy({i})'>{c}</th>" for i, c in enumerate(columns))
    body = "\n".join("<tr>" + "".join(f"<td>{_fmt(row.get(c))}</td>" for c in columns) + "</tr>" for row in metrics["cells"])
    summary = "".join(
        f"<li><b>{html.escape(k)}</b>: {_fmt(v) if not isinstance(v, dict) else html.escape(json.dumps(v))}</li>" for k, v in agg.items()
    )
    gallery_html = f"{gallery_title}<img src='{_data_uri(gallery)}' alt='gallery'>"
    sky_html = "" if sky is None else (
        "<h2>The universe, every star a point</h2><p>On one photometric scale (docs/photometry.md), limiting magnitude 6.5, "
        f"60&deg; wide: what <code>helios render --points</code> draws.</p><img src='{_data_uri(sky)}' alt='sky'>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>HELIOS training report</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1100px}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}th{{cursor:pointer;background:#eee}}img{{max-width:100%}}</style>
</head><body>
<h1>HELIOS training report</h1>
<p>Config hash {html.escape(str(metrics['config_hash']))}.</p>
{validation_html(validation)}
<ul>{summary}</ul>
{sky_html}
<h2>Convergence</h2><img src="{_data_uri(convergence)}" alt="convergence">
{gallery_html}
<h2>Cells</h2><p>Click a column to sort.</p>
<table id="cells"><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
<script>
let dir = 1;
function sortBy(col) {{
  const body = document.querySelector('#cells tbody');
  const rows = Array.from(body.rows);
  dir = -dir;
  rows.sort((a, b) => {{
    const x = a.cells[col].textContent, y = b.cells[col].textContent;
    const nx = parseFloat(x), ny = parseFloat(y);
    return dir * ((isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny);
  }});
  rows.forEach(r => body.appendChild(r));
}}
</script>
</body></html>
"""
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


def build_report(trained_index: dict[str, Any], trained_dir: str | Path, universe_dir: str | Path, report_dir: str | Path,
                 validation: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write convergence.png, training_metrics.json, gallery.png, sky.png and report.html under ``report_dir``.

    ``validation``: the run's validation.json, shown at the top of the page (passed or not).
    """
    trained_dir, universe_dir, report_dir = Path(trained_dir), Path(universe_dir), Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    if trained_index["ground_truth"] == "levels":
        return _build_levels_report(trained_index, trained_dir, universe_dir, report_dir, validation)
    per_cell = {c["id"]: json.loads((trained_dir / c["metrics_file"]).read_text()) for c in trained_index["cells"]}
    curves = {cell_id: m.get("loss_curve", []) for cell_id, m in per_cell.items()}
    metrics = training_metrics(trained_index, curves)
    write_json(report_dir / "training_metrics.json", metrics)
    plot_convergence(curves, report_dir / "convergence.png")
    ranked = sorted((c for c in trained_index["cells"] if c["status"] == "ok" and c["splat_count"] > 0),
                    key=lambda c: (c["metrics"]["loss_reduction"] or 0.0, c["id"]))
    picks = [("best", ranked[-1]), ("median", ranked[len(ranked) // 2]), ("worst", ranked[0])] if ranked else []
    grid = Grid.from_mapping(trained_index["grid"])
    pairs = []
    for label, cell in picks:
        truth, trained = render_comparison(universe_dir / "cells" / f"{cell['id']}.parquet", trained_dir / cell["file"], per_cell[cell["id"]], grid)
        pairs.append((label, cell["id"], truth, trained))
    plot_gallery(pairs, report_dir / "gallery.png")
    plot_sky(universe_dir, report_dir / "sky.png")
    write_html(metrics, report_dir / "convergence.png", report_dir / "gallery.png", report_dir / "report.html", validation, report_dir / "sky.png")
    return metrics
