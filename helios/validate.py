"""``helios validate``: check a finished run and say what is wrong.

Checks: cell counts (universe, selected, trained), index <-> file checksums
for the universe and the trained files, finite metrics, the training's effect
and diverged cells or levels (a failure unless allowed), and the pack: every
block the exact encoding of its source.

Levels (``ground_truth: levels``): the median held-out loss reduction of the
trained levels at least the minimum, and every level's Gaussians carrying the
light of the stars they replace within ``max_level_light_error``.  The seed
trainer (``starfield`` / ``splats``): the median loss reduction and held-out
PSNR gain over the trained cells at least the minimums, the cells that did
not improve listed.

Training keeps each cell's best parameters, starting from its initial ones,
so no cell can end with a higher loss than it started with: a check that
only compared the two could never fail.  The medians can.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helios.config import from_mapping
from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackError, PackReader
from helios.partition import read_index
from helios.trained_index import iter_pack_cells, read_trained_index

VALIDATION_FORMAT = "helios-validation"
METRIC_KEYS = ("loss_initial", "loss_final", "psnr_before", "psnr_after")


@dataclass(frozen=True)
class Thresholds:
    """What a run must reach (the config's ``validate:`` section; the schema describes each field)."""

    min_median_loss_reduction: float = 0.01
    min_median_psnr_gain_db: float = 0.0
    max_level_light_error: float = 0.1
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


def _check_pack(checks: Checks, pack_path: Path, universe_root: Path, trained: dict[str, Any], trained_dir: Path) -> dict[str, Any]:
    """The pack holds exactly the universe's stars and the trained files, encoded as docs/pack-format.md says
    (re-encoded from the sources and compared byte for byte, one cell at a time: the reader streams and the sources
    are encoded cell by cell, so that memory holds one cell, not the pack; the codecs' accuracy is tested on their own)."""
    try:
        reader = PackReader(pack_path)
        reader.verify()
    except PackError as exc:
        checks.add("pack round trip", False, str(exc))
        return {}
    encodings = sorted({b["encoding"] for e in reader.cells.values() for b in e["blocks"] if b["kind"] == "splats"})
    problems, expected_ids = [], set()
    try:
        for cell in iter_pack_cells(universe_root, trained, trained_dir, encodings[0] if encodings else "f32"):
            expected_ids.add(cell.id)
            entry = reader.cells.get(cell.id)
            if entry is None:
                continue
            blocks = [(block.kind, block.attributes, block.data) for block in cell.blocks]
            stored = [(block["kind"], {key: block[key] for key in attributes if key in block}, reader.read_block(cell.id, block))
                      for block, (_, attributes, _) in zip(entry["blocks"], blocks, strict=False)]
            if len(entry["blocks"]) != len(blocks) or stored != blocks:
                kinds = [block["kind"] for block in entry["blocks"]]
                problems.append(f"cell {cell.id}: blocks {kinds} differ from the encoded sources ({len(blocks)} expected)")
    except PackError as exc:
        checks.add("pack round trip", False, str(exc))
        return {}
    except (OSError, HeliosError) as exc:
        checks.add("pack round trip", False, f"cannot re-encode the sources: {exc}")
        return {}
    if set(reader.cells) != expected_ids:
        problems.insert(0, f"pack cells differ from the universe's ({len(reader.cells)} in the pack, {len(expected_ids)} in the universe)")
    detail = "; ".join(problems[:5]) if problems else (f"{len(reader.cells)} cells, {reader.size:,} bytes, checksums match "
                                                       "and every block and its directory entry are the exact encoding of its source")
    checks.add("pack round trip", not problems, detail)
    return {"bytes": reader.size, "splat_encoding": encodings}


def check_levels(checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
    """The trained levels of ``trained/index.json``'s cells: finite, training that helped, light kept, none diverged."""
    levels = [(c["id"], level) for c in cells for level in c["levels"]]
    trained = [(cell, level) for cell, level in levels if level["trained"]]
    bad = [f"{cell} level {level['level']}" for cell, level in trained
           if not all(_finite(level.get(k)) for k in ("loss_clustered", "loss_trained", "improvement"))]
    bad += [f"{cell} level {level['level']}" for cell, level in levels
            if level["luminosity_ratio"] is not None and not _finite(level["luminosity_ratio"])]
    checks.add("finite metrics", not bad, f"not finite: {', '.join(bad[:10])}" if bad else f"{len(levels)} levels of {len(cells)} cells")
    finite = [(cell, level) for cell, level in trained if f"{cell} level {level['level']}" not in bad]
    improvements = [level["improvement"] for _, level in finite]
    median = statistics.median(improvements) if improvements else None
    unchanged = [f"{cell}/{level['level']}" for cell, level in finite if level["improvement"] <= 0]
    if median is None:
        checks.add("loss reduction", True, "no level needed training (each has a Gaussian per remaining star, or training is off)")
    else:
        checks.add("loss reduction", median >= thresholds.min_median_loss_reduction,
                   f"median held-out loss reduction of the trained levels {median:.1%} (at least {thresholds.min_median_loss_reduction:.1%}); "
                   + (f"{len(unchanged)} level(s) kept their clustered Gaussians: {', '.join(unchanged[:10])}" if unchanged
                      else "training improved every level"))
    ratios = {f"{cell}/{level['level']}": level["luminosity_ratio"] for cell, level in levels if _finite(level["luminosity_ratio"])}
    off = {name: ratio for name, ratio in ratios.items() if abs(ratio - 1) > thresholds.max_level_light_error}
    worst = max(ratios.items(), key=lambda item: abs(item[1] - 1)) if ratios else None
    checks.add("light kept", not off,
               (f"{len(off)} level(s) carry more than {thresholds.max_level_light_error:.0%} more or less light than the stars they "
                f"replace: " + ", ".join(f"{name} ({ratio - 1:+.1%})" for name, ratio in list(off.items())[:10])) if off
               else f"every level's Gaussians carry their stars' light within {thresholds.max_level_light_error:.0%}"
               + (f" (worst {worst[0]}: {worst[1] - 1:+.2%})" if worst else ""))
    diverged = [f"{cell}/{level['level']}" for cell, level in levels if level.get("diverged_at") is not None]
    detail = f"{len(diverged)} level(s) diverged (kept their best parameters): {', '.join(diverged[:10])}" if diverged else "none"
    if diverged and thresholds.allow_diverged:
        detail += " (allowed by validate.allow_diverged)"
    checks.add("diverged levels", not diverged or thresholds.allow_diverged, detail)
    return {"levels": len(levels), "trained": len(trained), "median_loss_reduction": median, "diverged": len(diverged),
            "gaussians": sum(c["gaussian_count"] for c in cells)}


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
        return {"format": VALIDATION_FORMAT, "version": 2, "ok": False, "checks": checks.items}
    cells = trained["cells"]
    selected = {c["id"] for c in selection["cells"]}
    checks.add("cell counts", {c["id"] for c in cells} == selected and selected <= {c["id"] for c in universe["cells"]},
               f"universe {universe['cell_count']}, selected {len(selected)}, trained {len(cells)}")
    _check_files(checks, "universe", universe_root, universe["cells"])
    _check_files(checks, "trained", root / "trained", cells)
    summary: dict[str, Any] = {
        "ground_truth": trained["ground_truth"],
        "thresholds": dataclasses.asdict(thresholds),
        "stars": universe["star_count"],
    }
    if trained["ground_truth"] == "levels":
        levels = check_levels(checks, cells, thresholds)
        summary["cells"] = {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells)}
        summary["levels"] = levels
    else:
        not_finite, finite, diverged = check_training(checks, cells, thresholds)
        initial = sum(c["metrics"]["loss_initial"] for c in finite)
        final = sum(c["metrics"]["loss_final"] for c in finite)
        summary["cells"] = {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells), "diverged": len(diverged),
                            "empty": sum(c["status"] == "empty" for c in cells), "not_finite": len(not_finite),
                            "not_improved": sum(c["metrics"]["loss_final"] >= c["metrics"]["loss_initial"] for c in finite)}
        summary["splats"] = sum(c["splat_count"] for c in cells)
        summary["loss"] = {"initial_total": initial, "final_total": final, "reduction": (1 - final / initial) if initial > 0 else None}
    pack = _check_pack(checks, root / "trained" / "cells.pack.bin", universe_root, trained, root / "trained")
    summary["sizes_bytes"] = {"trained_total": sum(c["bytes"] for c in cells),
                              "universe_cells_total": sum(c["bytes"] for c in universe["cells"]), "pack": pack.get("bytes")}
    return {"format": VALIDATION_FORMAT, "version": 2, "ok": checks.ok, "summary": summary, "checks": checks.items}


def text_summary(result: dict[str, Any]) -> str:
    lines = ["HELIOS validation: " + ("PASSED" if result["ok"] else "FAILED")]
    for item in result["checks"]:
        lines.append(f"  [{'ok' if item['ok'] else 'FAIL'}] {item['name']}: {item['detail']}")
    summary = result.get("summary")
    if summary:
        loss = summary.get("loss") or {"reduction": None}
        made = f"splats {summary['splats']:,}" if "splats" in summary else f"levels {summary['levels']}"
        lines.append(f"  cells: {summary['cells']}; stars {summary['stars']:,}; {made}")
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
