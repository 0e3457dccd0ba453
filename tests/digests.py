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

SKIPPED_DIRECTORIES = {"site"}
DROPPED_KEYS = {"ms_per_iteration", "timings", "versions", "file", "metrics_file", "point_share", "config_hash"}


def _normalised(value: object) -> object:
    if isinstance(value, dict):
        return {k: _normalised(v) for k, v in value.items() if k not in DROPPED_KEYS and not k.endswith("_s")}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def pack_digest(path: Path) -> str:
    from helios.pack import PackReader

    reader = PackReader(path)
    digest = hashlib.sha256(json.dumps(_normalised(reader.directory), sort_keys=True).encode())
    for cell_id, entry in reader.cells.items():
        for block in entry["blocks"]:
            digest.update(reader.read_block(cell_id, block))
    return digest.hexdigest()


def file_digest(path: Path) -> str:
    if path.name.endswith(".pack.bin"):
        return pack_digest(path)
    data = path.read_bytes()
    if path.suffix == ".html":
        data = re.sub(rb"Config hash [0-9a-f]{16}", b"Config hash", data)
    if path.suffix == ".json":
        data = json.dumps(_normalised(json.loads(data)), sort_keys=True).encode()
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


def run_digests(results: Path) -> dict[str, str]:
    """Key -> SHA-256 of every file under ``results`` except logs, markers and the site."""
    trained = _trained_cell_files(results)
    digests = {}
    for path in sorted(results.rglob("*")):
        relative = path.relative_to(results)
        if not path.is_file() or relative.parts[0] in SKIPPED_DIRECTORIES or path.name.startswith(".snakemake"):
            continue
        digests[trained.get(relative.as_posix(), relative.as_posix())] = file_digest(path)
    return digests


if __name__ == "__main__":
    json.dump(run_digests(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
