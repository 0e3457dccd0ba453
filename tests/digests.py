"""SHA-256 of every file a workflow run wrote, for comparing runs of different code byte for byte.

Logs, Snakemake's markers and the web site's copy of the client are left out; in JSON files the wall-clock
timings (keys ending in ``_s``, ``ms_per_iteration``, ``timings``) are dropped before hashing, since they differ
between any two runs. ``python -m tests.digests RESULTS > digests.json`` writes the manifest the tests compare with.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

SKIPPED_DIRECTORIES = {"site"}
TIMING_KEYS = {"ms_per_iteration", "timings"}


def _without_timings(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS and not k.endswith("_s")}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def file_digest(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".json":
        data = json.dumps(_without_timings(json.loads(data)), sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()


def run_digests(results: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``results`` except logs, markers and the site."""
    digests = {}
    for path in sorted(results.rglob("*")):
        relative = path.relative_to(results)
        if not path.is_file() or relative.parts[0] in SKIPPED_DIRECTORIES or path.name.startswith(".snakemake"):
            continue
        digests[relative.as_posix()] = file_digest(path)
    return digests


if __name__ == "__main__":
    json.dump(run_digests(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
