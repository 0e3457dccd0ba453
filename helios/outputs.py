"""Which paths HELIOS may replace: only its own outputs, never a user's files.

A file is HELIOS's when its content says so (a JSON document whose ``format``
starts with ``helios``, the magic bytes of a pack, minor planets or planet table, a parquet file with ``helios.*``
metadata, a PNG or PLY written with HELIOS's software tag, a linear image
``.npy``, an ``.npz`` whose ``format`` says so).  A directory is HELIOS's when it holds
:data:`MARKER`, written with it, naming its kind (``universe``, ``site``, ``training-run``).  Anything else
that exists is refused with a message saying what to do; ``force`` (the
commands' ``--force``) may replace a directory, but never one that holds an
input of the command.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from helios.errors import HeliosError

log = logging.getLogger(__name__)

MARKER = ".helios-output.json"
MARKER_FORMAT = "helios-output"
#: The software tag HELIOS writes into PNG ``tEXt`` and PLY ``comment`` lines.
SOFTWARE = "HELIOS"
_MAX_JSON_BYTES = 64 << 20


class OutputError(HeliosError):
    """An output path that holds something HELIOS did not write."""


def _json_format(path: Path) -> str | None:
    if path.stat().st_size > _MAX_JSON_BYTES:
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    return document.get("format") if isinstance(document, dict) and isinstance(document.get("format"), str) else None


def _png_software(path: Path) -> str | None:
    """The ``Software`` keyword of a PNG's ``tEXt`` chunks (read chunk by chunk, up to the image data)."""
    with open(path, "rb") as handle:
        if handle.read(8) != b"\x89PNG\r\n\x1a\n":
            return None
        while header := handle.read(8):
            if len(header) < 8:
                return None
            length, kind = struct.unpack(">I4s", header)
            if kind in (b"IDAT", b"IEND") or length > 1 << 20:
                return None
            body = handle.read(length)
            handle.seek(4, os.SEEK_CUR)
            if kind == b"tEXt" and body.startswith(b"Software\0"):
                return body[len(b"Software\0"):].decode("latin-1")
    return None


def _is_linear_image(path: Path) -> bool:
    import numpy as np

    with open(path, "rb") as handle:
        version = np.lib.format.read_magic(handle)
        if version != (1, 0):
            return False
        shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
    return len(shape) == 3 and shape[2] == 3 and dtype.kind == "f"


def _npz_format(path: Path) -> str:
    import numpy as np

    with np.load(path, allow_pickle=False) as arrays:
        return str(arrays["format"]) if "format" in arrays.files else ""


def _ply_has_tag(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(4096)
    return head.startswith(b"ply\n") and f"\ncomment {SOFTWARE}".encode() in head.split(b"end_header", 1)[0]


def _parquet_is_helios(path: Path) -> bool:
    import pyarrow.parquet as pq

    metadata = pq.read_schema(path).metadata or {}
    return any(key.startswith(b"helios.") for key in metadata)


def is_helios_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a regular file (not a link) whose content shows HELIOS wrote it."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return False
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            return (_json_format(path) or "").startswith("helios")
        if suffix == ".bin":
            with open(path, "rb") as handle:
                return handle.read(8) in (b"HELIOSPK", b"HELIOSMP", b"HELIOSPL")  # a pack, minor planets, the planet table
        if suffix == ".parquet":
            return _parquet_is_helios(path)
        if suffix == ".png":
            return (_png_software(path) or "").startswith(SOFTWARE)
        if suffix == ".npy":
            return _is_linear_image(path)
        if suffix == ".ply":
            return _ply_has_tag(path)
        if suffix == ".npz":
            return _npz_format(path).startswith("helios")
    except Exception:  # noqa: BLE001 - a file that cannot be read as HELIOS's kind is not HELIOS's
        return False
    return False


def check_file_target(path: str | os.PathLike) -> None:
    """Refuse to replace an existing file HELIOS did not write."""
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if path.is_dir():
        raise OutputError(f"{path}: is a directory; give a file name")
    if not is_helios_file(path):
        raise OutputError(f"{path}: exists and was not written by HELIOS (or is a link); HELIOS overwrites only its own "
                          "outputs: choose another name, or move this file away yourself")


def directory_kind(path: str | os.PathLike) -> str | None:
    """The kind named by a directory's marker, or None when it has none."""
    marker = Path(path) / MARKER
    try:
        document = json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() and not marker.is_symlink() else None
    except (OSError, ValueError):
        return None
    if isinstance(document, dict) and document.get("format") == MARKER_FORMAT and isinstance(document.get("kind"), str):
        return document["kind"]
    return None


def write_marker(directory: str | os.PathLike, kind: str) -> None:
    import helios

    text = json.dumps({"format": MARKER_FORMAT, "kind": kind, "helios": helios.__version__}, indent=1) + "\n"
    (Path(directory) / MARKER).write_text(text, encoding="utf-8")


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


def claim_directory(target: str | os.PathLike, kind: str, *, force: bool = False, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Check that HELIOS may write (and replace) the directory ``target`` as a ``kind`` output; its resolved path.

    Allowed: a missing or empty directory, or one whose marker names ``kind``; with ``force``, any directory
    that holds none of ``inputs``.  A link is followed: the directory it points to is the one checked.
    """
    given = Path(target)
    resolved = given.resolve()
    for source in inputs:
        if _inside(Path(source).resolve(), resolved):
            raise OutputError(f"{given}: holds the input {source}; HELIOS will not replace a directory holding its inputs "
                              "(--force included): choose another output directory")
    if not resolved.exists():
        return resolved
    if not resolved.is_dir():
        raise OutputError(f"{given}: exists and is not a directory; choose another output directory")
    if not any(resolved.iterdir()):
        return resolved
    found = directory_kind(resolved)
    if found == kind:
        return resolved
    if force:
        log.warning("%s: replacing a directory HELIOS did not mark as a %s (--force)", given, kind)
        return resolved
    what = f"a HELIOS {found}, not a {kind}" if found else f"not a HELIOS {kind} (it has no {MARKER})"
    raise OutputError(f"{given}: exists and is {what}; HELIOS replaces only its own outputs: choose a new or empty "
                      "directory, move this one away yourself, or give --force to replace it")


def temporary_beside(final: Path, kind: str) -> Path:
    """A new, uniquely named temporary file or directory (``kind``: ``"file"``, ``"dir"``) beside ``final``,
    named ``.NAME.tmp-helios-XXXXXXXX``, after removing the ones an earlier write of ``final`` left.

    A process killed outright (SIGKILL, out of memory, a cluster's time limit) runs no cleanup, so its temporary
    stays; one job writes a given target at a time (a Snakemake output is one job's), so a temporary of the same
    target found here is stale, and recognisably HELIOS's by its name.
    """
    prefix = f".{final.name}.tmp-helios-"
    remove_stale(final.parent, prefix)
    if kind == "dir":
        return Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
    fd, name = tempfile.mkstemp(prefix=prefix, dir=final.parent)
    os.close(fd)
    return Path(name)


def remove_stale(parent: Path, prefix: str) -> None:
    """Remove ``parent``'s entries named ``PREFIX`` + the 8 characters :mod:`tempfile` adds."""
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}")
    stale = [p for p in parent.iterdir() if pattern.fullmatch(p.name)] if parent.is_dir() else []
    for path in stale:
        log.warning("%s: removing what an interrupted earlier write left", path)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


@contextlib.contextmanager
def output_directory(target: str | os.PathLike, kind: str, *, force: bool = False,
                     inputs: Iterable[str | os.PathLike] = ()) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``target``; on success mark it and rename it to ``target``.

    The target is checked before any work starts and again just before it is replaced (see
    :func:`claim_directory`); a replaced target is renamed aside first and removed only once the new one
    is in place.  On any exception the temporary directory is removed and ``target`` is left untouched.
    """
    inputs = list(inputs)
    resolved = claim_directory(target, kind, force=force, inputs=inputs)
    resolved.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(resolved.parent, f".{resolved.name}.old-helios-")
    tmp = temporary_beside(resolved, "dir")
    try:
        yield tmp
        write_marker(tmp, kind)
        claim_directory(target, kind, force=force, inputs=inputs)
        old = None
        if resolved.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{resolved.name}.old-helios-", dir=resolved.parent))
            os.replace(resolved, old / resolved.name)
        os.replace(tmp, resolved)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
