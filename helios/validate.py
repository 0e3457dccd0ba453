"""``helios validate``: check a finished run and say what is wrong.

Checks: cell counts (universe, selected, trained), index <-> file checksums
for the universe and the trained files, finite metrics, the training's effect
and diverged cells or levels (a failure unless allowed), and the pack: every
block the exact encoding of its source.

Each product adds its own checks (:meth:`helios.products.Product.validate`).
Levels: the median held-out loss reduction of the trained levels at least the
minimum, and every level's Gaussians carrying the light of the stars they
replace within ``max_level_light_error``.  The seed trainer: the median loss
reduction and held-out PSNR gain over the trained cells at least the minimums,
the cells that did not improve listed.

Training keeps each cell's best parameters, starting from its initial ones,
so no cell can end with a higher loss than it started with: a check that
only compared the two could never fail.  The medians can.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from helios.checks import Checks, Thresholds
from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackError, PackReader
from helios.pack.assembly import iter_pack_cells
from helios.partition import read_index
from helios.products import product_of
from helios.universe import read_trained_index

VALIDATION_FORMAT = "helios-validation"


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
    counts = {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells)}
    checked = product_of(trained).validate(checks, cells, thresholds)
    summary.update({**checked, "cells": {**counts, **checked.get("cells", {})}})
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
