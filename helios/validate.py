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

import numpy as np

from helios.checks import Checks, Thresholds
from helios.errors import HeliosError
from helios.files import sha256_file, write_json
from helios.pack import PackError, PackReader
from helios.pack.assembly import iter_pack_cells
from helios.pack.shards import INDEX_FILE, magnitude_steps, read_pack_index, read_shard_cells, shard_summary
from helios.partition import read_index
from helios.products import product_of
from helios.universe import read_trained_index

VALIDATION_FORMAT = "helios-validation"
SHARD_VALIDATION_FORMAT = "helios-shard-validation"


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


def check_shard(pack_dir: str | Path, shard: str, universe_root: str | Path, trained_dir: str | Path | None) -> dict[str, Any]:
    """One shard of a run: its cell files against the universe index, and its pack file (``pack_dir/SHARD.pack.bin``)
    against the pack index and the sources: every block re-encoded and compared byte for byte, one cell at a time
    (the reader streams; memory holds one cell, not the shard).  Returns ``{"shard", "checks", "pack_bytes"}``."""
    pack_dir, universe_root = Path(pack_dir), Path(universe_root)
    checks = Checks()
    universe = read_index(universe_root / "index.json")
    mine = [cell for cell in universe["cells"] if cell["shard"] == shard]
    _check_files(checks, "universe", universe_root, mine)
    trained = read_trained_index(Path(trained_dir) / "index.json") if trained_dir is not None else None
    size = _check_pack(checks, pack_dir, shard, mine, universe_root, trained, trained_dir)
    return {"format": SHARD_VALIDATION_FORMAT, "shard": shard, "ok": checks.ok, "checks": checks.items, "pack_bytes": size}


def _check_pack(checks: Checks, pack_dir: Path, shard: str, cells: list[dict[str, Any]], universe_root: Path,
                trained: dict[str, Any] | None, trained_dir: str | Path | None) -> int | None:
    """The shard's pack holds exactly its cells' stars and trained files, encoded as docs/pack-format.md says, and the
    pack index states its file, blocks and magnitude steps as they are."""
    try:
        index = read_pack_index(pack_dir / INDEX_FILE)
        number = [entry["id"] for entry in index["shards"]].index(shard)
        reader = PackReader(pack_dir / index["shards"][number]["file"])
        reader.verify()
    except (PackError, HeliosError, ValueError) as exc:
        checks.add("pack round trip", False, str(exc) if not isinstance(exc, ValueError) else f"shard {shard} is not in the pack index")
        return None
    stated = index["shards"][number]
    problems = []
    if stated["bytes"] != reader.size or stated["sha256"] != sha256_file(reader.path):
        problems.append(f"{reader.path.name}: size or checksum differs from the pack index's")
    try:
        listed = {cell["id"]: cell for cell in read_shard_cells(pack_dir / INDEX_FILE, index, number)}
    except HeliosError as exc:
        checks.add("pack round trip", False, str(exc))
        return None
    summary = shard_summary(list(listed.values())) if listed else {}
    if any(stated.get(key) != value for key, value in summary.items()):
        problems.append(f"shard {shard}: the pack index's summary (sphere, radii, brightest star, ...) is not its cells'")
    encodings = sorted({b["encoding"] for e in reader.cells.values() for b in e["blocks"] if b["kind"] == "splats"})
    by_id = {c["id"]: c for c in cells}
    try:
        for cell in iter_pack_cells(universe_root, trained, trained_dir, encodings[0] if encodings else "f32", cells=cells):
            entry = reader.cells.get(cell.id)
            if entry is None:
                continue
            blocks = [(block.kind, block.attributes, block.data) for block in cell.blocks]
            stored = [(block["kind"], {key: block[key] for key in attributes if key in block}, reader.read_block(cell.id, block))
                      for block, (_, attributes, _) in zip(entry["blocks"], blocks, strict=False)]
            if len(entry["blocks"]) != len(blocks) or stored != blocks:
                kinds = [block["kind"] for block in entry["blocks"]]
                problems.append(f"cell {cell.id}: blocks {kinds} differ from the encoded sources ({len(blocks)} expected)")
            points = next(data for kind, _, data in blocks if kind == "points")
            indexed = listed.get(cell.id, {})
            source = by_id[cell.id]
            if {k: v for k, v in indexed.items() if k not in ("shard", "magnitudes", "max_speed_pc_kyr", "bounds")} != entry \
                    or indexed.get("magnitudes") != magnitude_steps(points) or indexed.get("bounds") != source["bounds"] \
                    or indexed.get("max_speed_pc_kyr") != source["max_speed_pc_kyr"]:
                problems.append(f"cell {cell.id}: the pack index's entry differs from the shard's directory or its stars")
    except PackError as exc:
        checks.add("pack round trip", False, str(exc))
        return None
    except (OSError, HeliosError) as exc:
        checks.add("pack round trip", False, f"cannot re-encode the sources: {exc}")
        return None
    expected = {c["id"] for c in cells}
    if set(reader.cells) != expected or set(listed) != expected:
        problems.insert(0, f"shard {shard}: the pack's cells differ from the universe's ({len(reader.cells)} in its file, "
                           f"{len(listed)} in the pack index, {len(expected)} in the universe)")
    detail = "; ".join(problems[:5]) if problems else (f"{len(reader.cells)} cells, {reader.size:,} bytes, checksums match "
                                                       "and every block and its directory entry are the exact encoding of its source")
    checks.add("pack round trip", not problems, detail)
    return reader.size


def validate_run(output_dir: str | Path, universe_dir: str | Path | None = None, thresholds: Thresholds = Thresholds(),
                 shard_results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Validate a workflow output directory (``results/`` by default) and the universe it trained (default: its ``universe/``).

    ``shard_results``: each shard's :func:`check_shard` (the workflow's ``validate_shard`` jobs); without them each
    shard is checked here, one after another."""
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
    if shard_results is None:
        shard_results = [check_shard(root / "trained" / "pack", shard["id"], universe_root, root / "trained") for shard in universe["shards"]]
    _merge_shard_checks(checks, "universe checksums", shard_results, universe, f"{universe['cell_count']} files match the index")
    _check_files(checks, "trained", root / "trained", cells)
    summary: dict[str, Any] = {
        "ground_truth": trained["ground_truth"],
        "thresholds": dataclasses.asdict(thresholds),
        "stars": universe["star_count"],
    }
    counts = {"universe": universe["cell_count"], "selected": len(selected), "trained": len(cells)}
    checked = product_of(trained).validate(checks, cells, thresholds)
    summary.update({**checked, "cells": {**counts, **checked.get("cells", {})}})
    sizes = [result["pack_bytes"] for result in shard_results]
    pack_bytes = sum(sizes) if None not in sizes else None
    _merge_shard_checks(checks, "pack round trip", shard_results, universe,
                        f"{universe['cell_count']} cells in {len(shard_results)} shard(s), {pack_bytes or 0:,} bytes, checksums match "
                        "and every block and its directory entry are the exact encoding of its source")
    _check_minor_planets(checks, root / "trained" / "pack" / INDEX_FILE)
    summary["sizes_bytes"] = {"trained_total": sum(c["bytes"] for c in cells),
                              "universe_cells_total": sum(c["bytes"] for c in universe["cells"]), "pack": pack_bytes}
    return {"format": VALIDATION_FORMAT, "version": 2, "ok": checks.ok, "summary": summary, "checks": checks.items}


def _check_minor_planets(checks: Checks, index_path: Path) -> None:
    """The minor planets the pack index lists (when it lists any): the file it names, size and SHA-256, every chunk's
    SHA-256, the count."""
    from helios.minor_planets import read_minor_planets

    try:
        entry = read_pack_index(index_path).get("minor_planets")
        if entry is None:
            return
        path = index_path.parent / entry["file"]
        if not path.is_file() or path.stat().st_size != entry["bytes"] or sha256_file(path) != entry["sha256"]:
            checks.add("minor planets", False, f"{path}: missing, or not the file the pack index lists")
            return
        directory, table = read_minor_planets(path)
    except (HeliosError, OSError, ValueError, KeyError) as exc:
        checks.add("minor planets", False, str(exc))
        return
    checks.add("minor planets", len(table) == entry["count"] and bool(np.all(np.isfinite(table["a_au"]))),
               f"{len(table):,} orbits at JD {directory['epoch_jd']}, {len(directory['names'])} named; "
               f"{directory['source']['bad_lines']:,} bad lines of {directory['source']['path']} skipped")


def _merge_shard_checks(checks: Checks, name: str, shard_results: list[dict[str, Any]], universe: dict[str, Any], passed: str) -> None:
    """One check from every shard's check of that name (a shard without a result for it fails it)."""
    expected = [shard["id"] for shard in universe["shards"]]
    if [result["shard"] for result in shard_results] != expected:
        checks.add(name, False, f"shard checks {[r['shard'] for r in shard_results][:5]} are not the universe's shards {expected[:5]}")
        return
    failed = []
    for result in shard_results:
        items = [item for item in result["checks"] if item["name"] == name]
        if not items:
            failed.append(f"shard {result['shard']}: not checked")
        failed += [f"shard {result['shard']}: {item['detail']}" for item in items if not item["ok"]]
    checks.add(name, not failed, "; ".join(failed[:5]) + (f" (+{len(failed) - 5} more)" if len(failed) > 5 else "") if failed else passed)


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
                       thresholds: Thresholds = Thresholds(), shard_results: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """:func:`validate_run`, its result written to ``path`` whether it passed or not."""
    result = validate_run(output_dir, universe_dir, thresholds, shard_results)
    write_json(path, result)
    return result
