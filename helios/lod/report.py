"""The report's pages for trained levels (``ground_truth: levels``): figures per level, the held-out
curves, and the universe drawn by the level rule beside every star as a point."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

from helios import photometry  # noqa: E402
from helios.files import write_json  # noqa: E402
from helios.landmarks import load_landmarks  # noqa: E402
from helios.lod.compare import LevelCache, count_image, level_images, level_images_by_fraction, scores_counted  # noqa: E402
from helios.lod.sources import TrainedLevels  # noqa: E402
from helios.report import REPORT_FORMAT, plot_sky, plot_sky_as_seen, save_figure, sky_parts, universe_view, write_html  # noqa: E402
from helios.report_parts import ReportParts  # noqa: E402
from helios.universe import Universe  # noqa: E402

#: Views where levels are drawn beside points: (title, eye, look-at, up, limiting magnitude of the exposure);
#: places as in ``helios.report.SKY_VIEWS``.  Far out the exposure is deeper, or nothing would show.
LEVEL_VIEWS = (
    ("from the Sun towards Orion", "sun", "Betelgeuse", (0.0, 0.0, 1.0), 6.5),
    ("from the Pleiades back to the Sun", "M 45 (Pleiades)", "sun", (0.0, 0.0, 1.0), 6.5),
    ("from 1 kpc above the Sun (ICRS +z)", (0.0, 0.0, 1000.0), "sun", (1.0, 0.0, 0.0), 12.0),
    ("from 5 kpc above the Sun (ICRS +z)", (0.0, 0.0, 5000.0), "sun", (1.0, 0.0, 0.0), 15.0),
)


def _median(values: list[float | None]) -> float | None:
    values = [v for v in values if v is not None and np.isfinite(v)]
    return float(np.median(values)) if values else None


def level_metrics(trained_index: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Aggregate figures and one row per cell (what the report's table and a website show)."""
    rows = []
    for cell in trained_index["cells"]:
        levels = cell["levels"]
        rows.append({"id": cell["id"], "stars": cell["star_count"], "levels": len(levels), "gaussians": cell["gaussian_count"],
                     "trained_levels": sum(level["trained"] for level in levels),
                     **{f"improvement_{level['level']}": level["improvement"] for level in levels},
                     "median_improvement": _median([level["improvement"] for level in levels if level["trained"]])})
    by_level: dict[int, list[dict[str, Any]]] = {}
    for cell in trained_index["cells"]:
        for level in cell["levels"]:
            by_level.setdefault(level["level"], []).append(level)
    aggregate = {
        "cells": len(rows),
        "gaussians": sum(r["gaussians"] for r in rows),
        "levels": {f"{number} ({levels[0]['fraction']:g})": {
            "trained": sum(level["trained"] for level in levels),
            "median_held_out_loss_reduction": _median([level["improvement"] for level in levels if level["trained"]]),
            "kept_clustered": sum(level["trained"] and level["best_step"] == 0 for level in levels),
            "points": sum(level["points"] for level in levels), "gaussians": sum(level["gaussians"] for level in levels)}
            for number, levels in sorted(by_level.items())},
    }
    return aggregate, rows


#: Where the report compares methods at equal bytes: (title, eye, look-at, up, limiting magnitude), far enough out
#: that levels are drawn (``helios.lod.compare``: every cell not holding the camera at the fraction).
CURVE_VIEWS = (
    ("1 kpc above the Sun", (0.0, 0.0, 1000.0), "sun", (1.0, 0.0, 0.0), 12.0),
    ("5 kpc above the Sun", (0.0, 0.0, 5000.0), "sun", (1.0, 0.0, 0.0), 15.0),
)
METHOD_LABELS = {"cut": "(a) magnitude cut", "clustered": "(b) clustered, untrained", "trained": "(c) trained"}


#: The size of the curves' images (square) and of the views beside points.
CURVE_SIZE, BESIDE_SIZE, BESIDE_FOV = 192, (480, 270), 60.0


def trained_fractions(cells: Iterable[dict[str, Any]]) -> tuple[float, ...]:
    """Every level fraction some cell (of the trained index's ``cells``) was trained at, in order."""
    return tuple(sorted({level["fraction"] for cell in cells for level in cell["levels"]}))


def level_report_parts(trained_dir: str | Path, universe: Universe) -> ReportParts:
    """The levels report's pictures of ``universe`` (a shard of it, in a workflow), to be added over the shards:
    the sky figure's (:func:`helios.report.sky_parts`); for each of :data:`LEVEL_VIEWS` every star a point and the
    level rule's picture with the trained levels (``beside/I/...``); for each of :data:`CURVE_VIEWS` every star a
    point and the three methods at each trained fraction (``curves/V/...``); the stars visible in each."""
    parts = sky_parts(universe)
    source, cache, marks = TrainedLevels(trained_dir), LevelCache(), load_landmarks()
    for number, (_title, eye, target, up, limiting_mag) in enumerate(LEVEL_VIEWS):
        views = universe_view(universe, eye, target, up, BESIDE_FOV, BESIDE_SIZE, marks)
        result = level_images(universe, views, None, ("points", "trained"), limiting_mag=limiting_mag, cache=cache, trained=source)
        parts.images[f"beside/{number}/points"] = result.images["points"]
        parts.images[f"beside/{number}/levels"] = result.images["trained"]
        parts.images[f"beside/{number}/visible"] = count_image(result.visible_xy, views.height, views.width)
        parts.counts.update({f"beside/{number}/drawn/{name}": count for name, count in result.drawn.items()})
    fractions = trained_fractions(source.cells.values())
    for number, (_title, eye, target, up, limiting_mag) in enumerate(CURVE_VIEWS if fractions else ()):
        views = universe_view(universe, eye, target, up, 60.0, (CURVE_SIZE, CURVE_SIZE), marks)
        results = level_images_by_fraction(universe, views, fractions, ("points", *METHOD_LABELS), limiting_mag=limiting_mag,
                                           cache=cache, trained=source)
        first = results[fractions[0]]
        parts.images[f"curves/{number}/points"] = first.images["points"]
        parts.images[f"curves/{number}/visible"] = count_image(first.visible_xy, views.height, views.width)
        for index, fraction in enumerate(fractions):
            for method in METHOD_LABELS:
                parts.images[f"curves/{number}/{index}/{method}"] = results[fraction].images[method]
                parts.counts[f"curves/{number}/{index}/{method}/bytes"] = results[fraction].bytes[method]
    return parts


def level_curves(parts: ReportParts, fractions: tuple[float, ...]) -> list[dict[str, Any]]:
    """PSNR and flux error of the three methods against every star as a point, at each fraction, for :data:`CURVE_VIEWS`
    (``parts``: :func:`level_report_parts` added over the shards)."""
    rows = []
    for number, (title, _eye, _target, _up, limiting_mag) in enumerate(CURVE_VIEWS if fractions else ()):
        reference, visible = parts.image(f"curves/{number}/points"), parts.image(f"curves/{number}/visible")
        for index, fraction in enumerate(fractions):
            for method in METHOD_LABELS:
                score = scores_counted(reference, parts.image(f"curves/{number}/{index}/{method}"), visible, limiting_mag)
                rows.append({"view": title, "fraction": fraction, "method": method,
                             "bytes": int(parts.counts[f"curves/{number}/{index}/{method}/bytes"]),
                             **{k: (v if np.isfinite(v) else None) for k, v in score.items()}})
    return rows


def plot_level_convergence(per_cell: dict[str, dict[str, Any]], path: Path, curves: list[dict[str, Any]] | None = None) -> None:
    """Held-out loss / the clustered start's against step, every trained cell-level, coloured by level; beside it, with
    ``curves`` (:func:`level_curves`), PSNR and flux error of the three methods against the fraction."""
    fig, axes = plt.subplots(1, 3 if curves else 1, figsize=(18 if curves else 8, 5), dpi=110, squeeze=False)
    ax = axes[0, 0]
    drawn = 0
    for number in range(1, 1 + max((len(m["levels"]) for m in per_cell.values()), default=0)):
        lines = []
        for metrics in per_cell.values():
            level = next((lv for lv in metrics["levels"] if lv["level"] == number), None)
            if level is None or not level["trained"] or not level["curve"] or not level["loss_clustered"]:
                continue
            steps = [0] + [p["step"] for p in level["curve"]]
            loss = [1.0] + [p["held_out"] / level["loss_clustered"] for p in level["curve"]]
            lines.append(np.stack([steps, loss], axis=1))
        if lines:
            fraction = next(lv["fraction"] for m in per_cell.values() for lv in m["levels"] if lv["level"] == number)
            ax.add_collection(LineCollection(lines, colors=f"C{number - 1}", linewidths=0.7, alpha=0.5,
                                             label=f"level {number} ({fraction:g}): {len(lines)} cells"))
            drawn += len(lines)
    ax.autoscale()
    ax.set_xlabel("step")
    ax.set_ylabel("held-out loss / clustered (untrained) loss")
    ax.set_title("Training of every level: below 1, training beat the clustered Gaussians" if drawn else "No level needed training")
    if drawn:
        ax.legend(loc="upper right")
    ax.grid(alpha=0.3)
    if curves:
        for style, (title, *_rest) in zip(("-", "--"), CURVE_VIEWS):
            for colour, method in zip(("C3", "C0", "C2"), METHOD_LABELS):
                rows = [r for r in curves if r["view"] == title and r["method"] == method]
                fractions = [100 * r["fraction"] for r in rows]
                axes[0, 1].plot(fractions, [r["psnr_db"] for r in rows], style, color=colour, marker="o", label=f"{METHOD_LABELS[method]}, {title}")
                axes[0, 2].plot(fractions, [100 * r["flux_error"] for r in rows], style, color=colour, marker="o")
        for axis, label in ((axes[0, 1], "PSNR against every star as a point (dB)"), (axes[0, 2], "total flux error (%)")):
            axis.set_xscale("log")
            axis.set_xlabel("level size, % of the cell's all-points bytes")
            axis.set_ylabel(label)
            axis.grid(alpha=0.3, which="both")
        axes[0, 1].set_title("At equal bytes (tone mapped; deeper exposure far out)")
        axes[0, 1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def plot_levels_beside_points(parts: ReportParts, path: Path) -> list[dict[str, Any]]:
    """Each of :data:`LEVEL_VIEWS` drawn with every star as a point and by the level rule with the trained
    levels (``helios render --points`` and ``helios render``; ``parts``: :func:`level_report_parts` added over the
    shards), side by side; returns the scores."""
    width, height = BESIDE_SIZE
    fig, axes = plt.subplots(len(LEVEL_VIEWS), 2, figsize=(2 * width / 100, len(LEVEL_VIEWS) * (height / 100 + 0.45)), dpi=100,
                             squeeze=False)
    results = []
    for row, (title, _eye, _target, _up, limiting_mag) in enumerate(LEVEL_VIEWS):
        points, levels = parts.image(f"beside/{row}/points"), parts.image(f"beside/{row}/levels")
        score = scores_counted(points, levels, parts.image(f"beside/{row}/visible"), limiting_mag)
        prefix = f"beside/{row}/drawn/"
        drawn = {name[len(prefix):]: int(count) for name, count in sorted(parts.counts.items()) if name.startswith(prefix)}
        at_levels = sum(count for name, count in drawn.items() if name != "points")
        psnr = f"PSNR {score['psnr_db']:.1f} dB" if np.isfinite(score["psnr_db"]) else "identical"
        score["psnr_db"] = score["psnr_db"] if np.isfinite(score["psnr_db"]) else None  # None: the images are identical
        results.append({"view": title, "limiting_mag": limiting_mag, "cells_by_level": drawn, **score})
        for col, (image, label) in enumerate(((points, f"every star a point (exposed for mag {limiting_mag:g})"),
                                              (levels, f"levels ({at_levels} cells at a level): {psnr}, "
                                                       f"flux {score['flux_error']:+.2%}"))):
            axes[row, col].imshow(photometry.display_image(image, limiting_mag), interpolation="nearest")
            axes[row, col].set_title(f"{title}: {label}", fontsize=7, color="white")
            axes[row, col].axis("off")
    fig.tight_layout()
    save_figure(fig, path, "black")
    return results


def build_levels_report(trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
                         validation: dict[str, Any] | None, parts: ReportParts) -> dict[str, Any]:
    """The report of trained levels: the same files, the gallery showing levels beside points (``parts``:
    :func:`level_report_parts` added over the universe's shards)."""
    per_cell = {c["id"]: json.loads((trained_dir / c["metrics_file"]).read_text()) for c in trained_index["cells"]}
    aggregate, rows = level_metrics(trained_index)
    fractions = trained_fractions(trained_index["cells"])
    aggregate["curves"] = level_curves(parts, fractions)
    plot_level_convergence(per_cell, report_dir / "convergence.png", aggregate["curves"])
    aggregate["levels_beside_points"] = plot_levels_beside_points(parts, report_dir / "gallery.png")
    metrics = {"format": REPORT_FORMAT, "version": 2, "ground_truth": "levels", "config_hash": trained_index["config_hash"],
               "aggregate": aggregate, "cells": rows}
    plot_sky(parts, report_dir / "sky.png")
    aggregate["sky_adapted_limiting_mag"] = plot_sky_as_seen(parts, report_dir / "sky_as_seen.png")
    write_json(report_dir / "training_metrics.json", metrics)
    levels = max((row["levels"] for row in rows), default=0)
    columns = ("id", "stars", "levels", "trained_levels", "gaussians", *(f"improvement_{n}" for n in range(1, levels + 1)), "median_improvement")
    title = ("<h2>Levels beside points</h2><p>Left: every star a point (<code>helios render --points</code>); right: each trained "
             "cell at the level the rule picks (<code>helios render</code>), untrained cells as points. Scores on the tone-mapped "
             "images (docs/levels.md).</p>")
    write_html(metrics, report_dir / "convergence.png", report_dir / "gallery.png", report_dir / "report.html", validation,
               report_dir / "sky.png", columns, title, report_dir / "sky_as_seen.png")
    return metrics
