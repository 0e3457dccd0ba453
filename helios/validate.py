"""``helios validate``: check a finished run and say what is wrong.

Checks: cell counts (universe, selected, trained), finite metrics, loss
reduction, diverged cells (reported, not fatal), dataset sizes, index <-> file
checksums for the universe and the trained cells, and the pack round trip
(float32 exact; float16 within half-precision rounding).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackError, PackReader, records_from_ply
from helios.partition import read_index
from helios.splats import read_ply
from helios.trained_index import read_trained_index

VALIDATION_FORMAT = "helios-validation"
#: float16 stores 11 significant bits: relative rounding error <= 2^-11.
F16_RELATIVE = 2.0**-11


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


def validate_run(output_dir: str | Path, universe_dir: str | Path | None = None) -> dict[str, Any]:
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
    not_finite = [c["id"] for c in cells if c["status"] == "ok"
                  and not all(_finite(c["metrics"][k]) for k in ("loss_initial", "loss_final", "psnr_before", "psnr_after"))]
    checks.add("finite metrics", not not_finite,
               f"not finite: {', '.join(not_finite[:10])}" if not_finite else "every trained cell's metrics are finite")
    worse = [c["id"] for c in cells if c["status"] == "ok" and c["metrics"]["loss_final"] > c["metrics"]["loss_initial"]]
    checks.add("loss reduction", not worse, f"loss grew in: {', '.join(worse[:10])}" if worse else "no cell ended worse than it started")
    diverged = [c["id"] for c in cells if c["status"] == "diverged"]
    checks.add("diverged cells", True, f"{len(diverged)} diverged (kept their best parameters): {', '.join(diverged[:10])}" if diverged else "none")
    pack = _check_pack(checks, root / "trained" / "cells.pack.bin", root / "trained", cells)
    initial = sum(c["metrics"]["loss_initial"] or 0.0 for c in cells if c["status"] == "ok")
    final = sum(c["metrics"]["loss_final"] or 0.0 for c in cells if c["status"] == "ok")
    summary = {
        "cells": {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells), "diverged": len(diverged),
                  "empty": sum(c["status"] == "empty" for c in cells)},
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


def validate_and_write(output_dir: str | Path, path: str | Path, universe_dir: str | Path | None = None) -> dict[str, Any]:
    result = validate_run(output_dir, universe_dir)
    write_json(path, result)
    return result
