"""SHA-256 of every file a workflow run wrote, for comparing runs of different code byte for byte.

Logs, Snakemake's markers and the web site's copy of the client are left out.  A trained cell's files are
keyed by cell id and kind (``trained/<id>/levels.parquet``), not by where its job wrote them, and the
trained index is hashed without those paths.  In JSON files the wall-clock timings (keys ending in ``_s``,
``ms_per_iteration``, ``timings``) and the package version records (``versions``) are dropped before
hashing: they differ between any two runs, or name what a job imported.  So are ``levels.point_share``, a config
key that replaced a constant of the same default (0.8), and the config hashes it enters; a pack is hashed as its
directory without them and every block's bytes, read through :class:`helios.pack.PackReader`, and the report
page without the config hash it shows.
``python -m tests.digests RESULTS`` prints the digests.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

# the client's copy; the partition's intermediate files; timings; each shard's checks (validation.json has their verdicts)
SKIPPED_DIRECTORIES = {"site", "partition", "benchmarks", "validation"}
SKIPPED_FILES = {"stars.parquet",  # every star again, which nothing read: gone since the cell tree (issue 32)
                 # The report's scores come from pictures added up over the shards since issue 32 (report/parts/): the same
                 # to rounding (tests/test_report_parts.py), not to the last bit; its pictures are still compared.
                 "report/training_metrics.json", "report/report.html",
                 "report/sky_as_seen.png"}  # the sky with glare and an adapted exposure: new with issue 35
SKIPPED_PREFIXES = ("report/parts/",)  # the shards' parts of the report's pictures, new with them
DROPPED_KEYS = {"ms_per_iteration", "timings", "versions", "file", "metrics_file", "point_share", "config_hash",
                # what the cell tree (issue 32) added: a cell's depth and shard, the grid's bound, the index's version
                "depth", "shard", "shards", "max_stars", "max_depth",
                "max_level_light_error",  # validation's allowance for a level's light: 10 % before issue 35, 1 % since
                "min_stars",  # the levels' smallest cell (issue 35); the test config's 1 gives every cell levels, as before
                "ids", "source_ids"}  # which catalogue the stars' ids are from, and their range (issue 34)
#: Pack blocks new since: each star's catalogue id (issue 34).
NEW_BLOCK_KINDS = {"ids"}
#: Validation checks new since: the minor planets the pack carries (issue 33).
NEW_CHECKS = {"minor planets"}


def _normalised(value: object) -> object:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k not in DROPPED_KEYS and not k.endswith("_s")}
    if isinstance(value, list):
        return [_normalised(v) for v in value
                if not (isinstance(v, dict) and (v.get("kind") in NEW_BLOCK_KINDS or v.get("name") in NEW_CHECKS))]
    return value


def pack_digest(path: Path) -> str:
    from helios.pack import PackReader

    reader = PackReader(path)
    # The blocks' bytes are hashed below in directory order; their offsets move with the directory's length (the grid
    # in its meta gained two keys with the cell tree, issue 32).
    directory = _normalised(reader.directory)
    for cell in directory["cells"]:
        for block in cell["blocks"]:
            block.pop("offset")
    digest = hashlib.sha256(json.dumps(directory, sort_keys=True).encode())
    for cell_id, entry in reader.cells.items():
        for block in entry["blocks"]:
            if block["kind"] not in NEW_BLOCK_KINDS:
                digest.update(reader.read_block(cell_id, block))
    return digest.hexdigest()


def file_digest(path: Path, name: str = "") -> str:
    if path.name.endswith(".pack.bin"):
        return pack_digest(path)
    data = path.read_bytes()
    if path.suffix == ".html" or name == "validation.json":  # the pack's size in bytes (its directory, above)
        data = re.sub(rb"([0-9]+) cells(?: in [0-9]+ shard\(s\))?, [0-9,]+ bytes, checksums match", rb"\1 cells, checksums match", data)
        data = re.sub(rb"stars' light within [0-9]+%", rb"stars' light within the allowance", data)  # max_level_light_error
    if path.suffix == ".html":
        data = re.sub(rb"Config hash [0-9a-f]{16}", b"Config hash", data)
    if path.suffix == ".json":
        document = _normalised(json.loads(data))
        if name == "universe/index.json":
            document.pop("version")  # 3 since the cell tree
        if name == "validation.json":
            document["summary"]["sizes_bytes"].pop("pack")
        data = json.dumps(document, sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def _trained_cell_files(results: Path) -> dict[str, str]:
    """Path under ``results`` -> ``trained/<cell id>/<kind>`` for every file of a trained cell."""
    index_path = results / "trained" / "index.json"
    if not index_path.is_file():
        return {}
    keys = {}
    for cell in json.loads(index_path.read_text())["cells"]:
        for name in (cell["file"], cell["metrics_file"]):
            stem = Path(name).name.split(".", 1)
            keys[(Path("trained") / name).as_posix()] = f"trained/{cell['id']}/{stem[1]}"
    return keys


def _universe_cell_files(results: Path) -> dict[str, str]:
    """Path under ``results`` -> ``universe/cells/<cell id>.parquet`` for every cell file (in a shard's folder or not)."""
    return {f"universe/{path.relative_to(results / 'universe').as_posix()}": f"universe/cells/{path.name}"
            for path in (results / "universe" / "cells").rglob("*.parquet")}


def _pack_files(results: Path) -> dict[str, str | None]:
    """A sharded pack (issue 32) of one shard is compared as the one pack file before it (its blocks and directory);
    the pack index, the shards' entries and the minor planets (issue 33) are new (their content is checked by the
    validation and its tests)."""
    pack = results / "trained" / "pack"
    if not pack.is_dir():
        return {}
    shards = sorted(pack.glob("*.pack.bin"))
    keys: dict[str, str | None] = {f"trained/pack/{path.name}": None for path in [*pack.glob("*.json"), *pack.glob("minor_planets.bin")]}
    keys.update({f"trained/pack/{path.name}": "trained/cells.pack.bin" if len(shards) == 1 else None for path in shards})
    return keys


def run_digests(results: Path) -> dict[str, str]:
    """Key -> SHA-256 of every file under ``results`` except logs, markers, the site and the partition's intermediates."""
    renamed = {**_trained_cell_files(results), **_universe_cell_files(results), **_pack_files(results)}
    digests = {}
    for path in sorted(results.rglob("*")):
        relative = path.relative_to(results)
        if (not path.is_file() or relative.parts[0] in SKIPPED_DIRECTORIES or relative.as_posix() in SKIPPED_FILES
                or relative.as_posix().startswith(SKIPPED_PREFIXES) or path.name.startswith(".snakemake")):
            continue
        key = renamed.get(relative.as_posix(), relative.as_posix())
        if key is not None:
            digests[key] = file_digest(path, relative.as_posix())
    return digests


if __name__ == "__main__":
    json.dump(run_digests(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
