"""The report's page and the pieces every product's report shares: the figure writer, the camera of a
report view, the sky seen from a few places, the validation box and the HTML page.

Each product draws its pictures of the universe a shard at a time (:meth:`helios.products.Product.report_parts`,
added up: :mod:`helios.report_parts`) and writes its own figures and metrics from them
(:meth:`helios.products.Product.report`: :mod:`helios.lod.report`, :mod:`helios.seed.report`); :func:`build_report`
asks the run's product.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helios import photometry  # noqa: E402
from helios.astro import GALACTIC_CENTRE_ICRS  # noqa: E402
from helios.cameras import pinhole  # noqa: E402
from helios.files import atomic_path  # noqa: E402
from helios.landmarks import find_landmark, load_landmarks  # noqa: E402
from helios.outputs import SOFTWARE  # noqa: E402
from helios.render.sky import render_sky  # noqa: E402
from helios.report_parts import ReportParts  # noqa: E402
from helios.universe import Universe  # noqa: E402

REPORT_FORMAT = "helios-training-metrics"


def save_figure(fig: Any, path: Path, facecolor: str | None = None) -> None:
    """Write a figure as PNG atomically and free it."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", metadata={"Software": SOFTWARE}, **({"facecolor": facecolor} if facecolor else {}))
    plt.close(fig)


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


#: The size and field of the sky figure's views.
SKY_SIZE, SKY_FOV = (640, 360), 60.0


def sky_parts(universe: Universe) -> ReportParts:
    """The sky figure's images of ``universe`` (a shard of it, in a workflow): every star a point
    (``helios render --points``), ``sky/I`` for each of :data:`SKY_VIEWS`."""
    parts = ReportParts()
    marks = load_landmarks()
    for number, (_title, eye, target, up) in enumerate(SKY_VIEWS):
        views = universe_view(universe, eye, target, up, SKY_FOV, SKY_SIZE, marks)
        parts.images[f"sky/{number}"] = render_sky(universe, views)[0]
    return parts


def _plot_views(parts: ReportParts, path: Path, draw: Any) -> None:
    """The sky figure's four views (``sky/I`` of ``parts``), each as ``draw(linear image, title)`` shows it:
    ``(display image, title)``."""
    width, height = SKY_SIZE
    fig, axes = plt.subplots(2, 2, figsize=(2 * width / 100, 2 * height / 100 + 0.5), dpi=100, squeeze=False)
    for number, (axis, (title, *_place)) in enumerate(zip(axes.ravel(), SKY_VIEWS)):
        shown, caption = draw(parts.image(f"sky/{number}"), title)
        axis.imshow(shown, interpolation="nearest")
        axis.set_title(caption, fontsize=9, color="white")
        axis.axis("off")
    fig.tight_layout()
    save_figure(fig, path, "black")


def plot_sky(parts: ReportParts, path: Path) -> None:
    """The assembled universe from a few places (:func:`sky_parts`, added over the shards), every star a point on
    the one photometric scale, limiting magnitude 6.5."""
    _plot_views(parts, path, lambda linear, title: (photometry.display_image(linear), title))


def plot_sky_as_seen(parts: ReportParts, path: Path) -> dict[str, float]:
    """:func:`plot_sky`'s views as the eye sees them: with glare and the exposure adapted to the light in view
    (``helios render --points --exposure auto``; docs/photometry.md).  The limiting magnitude of each view."""
    from helios.render.exposure import auto_limiting_mag
    from helios.render.glare import apply_glare

    adapted: dict[str, float] = {}

    def draw(linear: np.ndarray, title: str) -> tuple[np.ndarray, str]:
        adapted[title] = auto_limiting_mag(linear)
        shown = photometry.display_image(apply_glare(linear, limiting_mag=adapted[title]), adapted[title])
        return shown, f"{title} (adapted: {adapted[title]:.1f} mag)"

    _plot_views(parts, path, draw)
    return adapted


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
               sky: Path | None = None, columns: tuple[str, ...] = SPLAT_COLUMNS, gallery_title: str = SPLAT_GALLERY,
               sky_as_seen: Path | None = None) -> None:
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
    if sky_as_seen is not None:
        sky_html += ("<h2>As the eye sees it</h2><p>The same views with glare and the exposure adapted to the light in view "
                     "(<code>helios render --points --exposure auto</code>; the client's default; docs/photometry.md).</p>"
                     f"<img src='{_data_uri(sky_as_seen)}' alt='sky as seen'>")
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


def report_shard(trained_index: dict[str, Any], trained_dir: str | Path, universe_dir: str | Path, shard: str) -> ReportParts:
    """One shard's part of the report's pictures (:mod:`helios.report_parts`): what the run's product draws of its cells."""
    from helios.products import product_of

    return product_of(trained_index).report_parts(Path(trained_dir), Universe(universe_dir).shard(shard))


def build_report(trained_index: dict[str, Any], trained_dir: str | Path, universe_dir: str | Path, report_dir: str | Path,
                 validation: dict[str, Any] | None = None, parts: ReportParts | None = None) -> dict[str, Any]:
    """Write convergence.png, training_metrics.json, gallery.png, sky.png and report.html under ``report_dir``.

    ``validation``: the run's validation.json, shown at the top of the page (passed or not).  ``parts``: the
    shards' pictures added up (:func:`helios.report_parts.sum_parts` of the workflow's ``report_shard`` files);
    without, this process draws every shard in turn.
    """
    from helios.products import product_of

    product = product_of(trained_index)
    if parts is None:
        universe = Universe(universe_dir)
        parts = ReportParts()
        for shard in sorted({cell["shard"] for cell in universe.cells}):
            parts.add(product.report_parts(Path(trained_dir), universe.shard(shard)), f"shard {shard}")
    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    return product.report(trained_index, Path(trained_dir), Path(universe_dir), report_dir, validation, parts)
