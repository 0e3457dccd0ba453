"""Catalogue inputs named in a config: file lists, globs and part names."""

from __future__ import annotations

import glob
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from helios.errors import HeliosError

SYNTHETIC_PART = "synthetic"


def expand_catalog_files(patterns: Iterable[str]) -> list[str]:
    """Expand files and glob patterns, in the order given (each glob sorted).

    A pattern that matches nothing is an error, and so is a file listed twice.
    """
    files: list[str] = []
    for pattern in patterns:
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(pattern))
            if not matches:
                raise HeliosError(f"catalog file pattern {pattern!r} matches no files")
        else:
            if not Path(pattern).is_file():
                raise HeliosError(f"catalog file {pattern!r} does not exist")
            matches = [pattern]
        for path in matches:
            if path in files:
                raise HeliosError(f"catalog file {path!r} is listed twice; each file must be ingested once")
            files.append(path)
    if not files:
        raise HeliosError("no catalogue files given")
    return files


def part_name(path: str) -> str:
    """A stable, filesystem-safe job name for one catalogue file.

    The readable stem plus a hash of the whole path: adding or reordering files
    does not rename (and so rerun) the others.
    """
    stem = re.sub(r"[^A-Za-z0-9]+", "_", Path(path).name.split(".")[0]).strip("_")[:40] or "catalog"
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"{stem}-{digest}"
