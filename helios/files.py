"""Atomic file output and checksums.

Every output is written to a temporary name beside its final path and renamed
into place only when complete, so an interrupted or failed step never leaves a
partial file that a later step (or Snakemake) would mistake for a result.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from helios.errors import HeliosError
from helios.outputs import OutputError, check_file_target, temporary_beside


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary path next to ``final``; rename it to ``final`` on success.

    An existing ``final`` file is replaced only when HELIOS wrote it
    (:func:`helios.outputs.check_file_target`, checked before and after the
    work); with ``directory=True`` the temporary path is an empty directory and
    ``final`` may only be missing or empty (whole output directories that
    replace older ones go through :func:`helios.outputs.output_directory`).
    On any exception the temporary path is removed and ``final`` is left
    untouched; what a killed earlier write of ``final`` left is removed first.
    """
    final = Path(final)
    _check_target(final, directory)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_beside(final, "dir" if directory else "file")
    try:
        yield tmp
        _check_target(final, directory)
        if directory:
            os.replace(tmp, final)
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


def _check_target(final: Path, directory: bool) -> None:
    if not directory:
        check_file_target(final)
    elif final.is_symlink() or (final.exists() and (not final.is_dir() or any(final.iterdir()))):
        raise OutputError(f"{final}: exists and is not an empty directory; HELIOS will not replace it here: "
                          "move it away or choose another output")


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as stable, human-readable JSON (sorted keys), atomically."""
    text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def load_json(path: str | os.PathLike, what: str) -> Any:
    """The JSON document at ``path``; a missing or unreadable one is a :class:`HeliosError` naming the file and ``what``."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HeliosError(f"{path}: missing {what}") from None
    except (OSError, ValueError) as exc:
        raise HeliosError(f"{path}: unreadable {what} ({exc})") from None


def load_document(path: str | os.PathLike, what: str, format: str, version: int | None = None, remedy: str = "") -> dict[str, Any]:
    """A HELIOS JSON document: :func:`load_json`, then its ``format`` tag and (when given) its ``version`` checked,
    either mismatch a :class:`HeliosError` naming the file, what was found and ``remedy`` (what to do about it)."""
    document = load_json(path, what)
    found = document.get("format") if isinstance(document, dict) else None
    then = f"; {remedy}" if remedy else ""
    if found != format:
        raise HeliosError(f"{path}: not a HELIOS {what} (format {found!r}){then}")
    if version is not None and document.get("version") != version:
        raise HeliosError(f"{path}: {what} version {document.get('version')!r} is not supported (this HELIOS reads {version}){then}")
    return document


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
