"""``helios validate``: check a finished run and say what is wrong.

Checks: cell counts (universe, selected, trained), finite metrics, the
training's effect (median loss reduction and median held-out PSNR gain over
the trained cells at least the configured minimums; cells that did not
improve listed), diverged cells (a failure unless allowed), index <-> file
checksums for the universe and the trained cells, and the pack round trip
(float32 exact; float16 within half-precision rounding).

Training keeps each cell's best parameters, starting from its initial ones,
so no cell can end with a higher loss than it started with: a check that
only compared the two could never fail.  The medians can.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from helios.config import from_mapping
from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackError, PackReader, records_from_ply
from helios.partition import read_index
from helios.splats import read_ply
from helios.trained_index import read_trained_index

VALIDATION_FORMAT = "helios-validation"
METRIC_KEYS = ("loss_initial", "loss_final", "psnr_before", "psnr_after")
#: float16 stores 11 significant bits: relative rounding error <= 2^-11.
F16_RELATIVE = 2.0**-11


@dataclass(frozen=True)
class Thresholds:
    """What a run must reach (the config's ``validate:`` section; the schema describes each field)."""

    min_median_loss_reduction: float = 0.01
    min_median_psnr_gain_db: float = 0.0
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


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _check_files(checks: Checks, label: str, root: Path, cells: list[dict[str, Any]]) -> None:
    bad = []
    for cell in cells:
        path = root / cell["file"]
        if not path.is_file():
            bad.append(f"{cell['file']} missing")
        elif path.stat().st_size != cell["bytes"] or sha256_file(path) != cell["sha256"]:
            bad.append(f"{cell['file']} checksum mismatch")
    detail = "; ".join(bad[:5]) + (f" (+{len(bad) - 5} more)" if len(bad) > 5 else "") if bad else f"{len(cells)} files match the index"
    checks.add(f"{label} checksums", not bad, detail)


def _check_pack(checks: Checks, pack_path: Path, trained_dir: Path, cells: list[dict[str, Any]]) -> dict[str, Any]:
    try:
        reader = PackReader(pack_path)
        reader.verify()
    except PackError as exc:
        checks.add("pack round trip", False, str(exc))
        return {}
    problems = []
    if set(reader.cells) != {c["id"] for c in cells}:
        problems.append("pack cells differ from the trained index")
    worst = 0.0
    for cell in cells:
        if cell["id"] not in reader.cells:
            continue
        try:
            expected = records_from_ply(read_ply(trained_dir / cell["file"])).astype(np.float64)
        except (OSError, HeliosError) as exc:
            problems.append(f"cell {cell['id']}: cannot compare, {exc}")
            continue
        got = reader.read_cell_pc(cell["id"])
        if got.shape != expected.shape:
            problems.append(f"cell {cell['id']}: {got.shape[0]} splats in the pack, {expected.shape[0]} in the PLY")
            continue
        entry = reader.cells[cell["id"]]
        if entry["encoding"] == "f32":
            if not np.array_equal(got.astype(np.float32), expected.astype(np.float32)):
                problems.append(f"cell {cell['id']}: float32 values differ from the PLY")
        else:
            scale = entry["transform"]["scale_pc"]
            # Each stored value was rounded at its own magnitude (positions in units of the radius, log-scales shifted).
            tolerance = F16_RELATIVE * (np.abs(expected) + np.concatenate([np.full(3, scale), np.full(3, abs(math.log(scale))), np.zeros(8)])) + 1e-7
            excess = np.abs(got - expected) - tolerance
            worst = max(worst, float(excess.max(initial=-np.inf)))
            if (excess > 0).any():
                problems.append(f"cell {cell['id']}: float16 values beyond half-precision rounding")
    detail = "; ".join(problems[:5]) if problems else f"{len(reader.cells)} cells, {pack_path.stat().st_size:,} bytes, checksums and values match"
    checks.add("pack round trip", not problems, detail)
    return {"bytes": pack_path.stat().st_size, "encoding": sorted({e["encoding"] for e in reader.cells.values()})}


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
    not_finite = [c["id"] for c in trained_ok if not all(_finite(c["metrics"].get(k)) for k in METRIC_KEYS)]
    checks.add("finite metrics", not not_finite,
               f"not finite or missing: {', '.join(not_finite[:10])}" if not_finite else "every trained cell's metrics are finite")
    finite = [c for c in trained_ok if c["id"] not in not_finite]
    _check_effect(checks, finite, thresholds)
    diverged = [c["id"] for c in cells if c["status"] == "diverged"]
    detail = f"{len(diverged)} diverged (kept their best parameters): {', '.join(diverged[:10])}" if diverged else "none"
    if diverged and thresholds.allow_diverged:
        detail += " (allowed by validate.allow_diverged)"
    checks.add("diverged cells", not diverged or thresholds.allow_diverged, detail)
    return not_finite, finite, diverged


def validate_run(output_dir: str | Path, universe_dir: str | Path | None = None, thresholds: Thresholds = Thresholds()) -> dict[str, Any]:
    """Validate a workflow output directory (``results/`` by default) and the universe it trained (default: its ``universe/``)."""
    root = Path(output_dir)
    universe_root = Path(universe_dir) if universe_dir is not None else root / "universe"
    checks = Checks()
    try:
        universe = read_index(universe_root / "index.json")
        selection = json.loads((root / "selection.json").read_text(encoding="utf-8"))
        trained = read_trained_index(root / "trained" / "index.json")
    except (HeliosError, OSError, ValueError) as exc:
        checks.add("inputs present", False, str(exc))
        return {"format": VALIDATION_FORMAT, "version": 1, "ok": False, "checks": checks.items}
    cells = trained["cells"]
    selected = {c["id"] for c in selection["cells"]}
    checks.add("cell counts", {c["id"] for c in cells} == selected and selected <= {c["id"] for c in universe["cells"]},
               f"universe {universe['cell_count']}, selected {len(selected)}, trained {len(cells)}")
    _check_files(checks, "universe", universe_root, universe["cells"])
    _check_files(checks, "trained", root / "trained", cells)
    not_finite, finite, diverged = check_training(checks, cells, thresholds)
    pack = _check_pack(checks, root / "trained" / "cells.pack.bin", root / "trained", cells)
    initial = sum(c["metrics"]["loss_initial"] for c in finite)
    final = sum(c["metrics"]["loss_final"] for c in finite)
    summary = {
        "cells": {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells), "diverged": len(diverged),
                  "empty": sum(c["status"] == "empty" for c in cells), "not_finite": len(not_finite),
                  "not_improved": sum(c["metrics"]["loss_final"] >= c["metrics"]["loss_initial"] for c in finite)},
        "thresholds": {"min_median_loss_reduction": thresholds.min_median_loss_reduction,
                       "min_median_psnr_gain_db": thresholds.min_median_psnr_gain_db, "allow_diverged": thresholds.allow_diverged},
        "stars": universe["star_count"],
        "splats": sum(c["splat_count"] for c in cells),
        "loss": {"initial_total": initial, "final_total": final, "reduction": (1 - final / initial) if initial > 0 else None},
        "sizes_bytes": {
            "ply_total": sum(c["bytes"] for c in cells),
            "universe_cells_total": sum(c["bytes"] for c in universe["cells"]),
            "pack": pack.get("bytes"),
        },
    }
    return {"format": VALIDATION_FORMAT, "version": 1, "ok": checks.ok, "summary": summary, "checks": checks.items}


def text_summary(result: dict[str, Any]) -> str:
    lines = ["HELIOS validation: " + ("PASSED" if result["ok"] else "FAILED")]
    for item in result["checks"]:
        lines.append(f"  [{'ok' if item['ok'] else 'FAIL'}] {item['name']}: {item['detail']}")
    summary = result.get("summary")
    if summary:
        loss = summary["loss"]
        lines.append(f"  cells: {summary['cells']}; stars {summary['stars']:,}; splats {summary['splats']:,}")
        if loss["reduction"] is not None:
            lines.append(f"  loss (sum over cells): {loss['initial_total']:.4g} -> {loss['final_total']:.4g} ({100 * loss['reduction']:.1f} % lower)")
        lines.append(f"  sizes: {summary['sizes_bytes']}")
    return "\n".join(lines)


def validate_and_write(output_dir: str | Path, path: str | Path, universe_dir: str | Path | None = None,
                       thresholds: Thresholds = Thresholds()) -> dict[str, Any]:
    """:func:`validate_run`, its result written to ``path`` whether it passed or not."""
    result = validate_run(output_dir, universe_dir, thresholds)
    write_json(path, result)
    return result
