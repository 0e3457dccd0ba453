"""Fuzzed packs: hundreds of corrupted files, each refused with a clear one-line PackError, within a memory limit.

The corruptions: truncations and extensions, bit flips anywhere (header padding and alignment padding included),
header fields set to huge values, and directories replaced (checksums recomputed, so that the deep checks are
reached) by deeply nested JSON, 100 MB claims, wrong or missing versions and keys, ids with terminal escape codes,
absurd numbers, JSON that is not an object.  One valid pack of more than 1 GiB (a sparse file) must be read under
the same limit.  The loop runs in a child process whose address space is limited (``RLIMIT_AS``), so that a reader
that holds the file, or recurses without bound, fails the test instead of the machine.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import json
import os
import random
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT_BYTES = 1 << 30  # the child's address space (Python, numpy and helios.cli need about 450 MB of it)
HUGE_BLOCK = (1 << 30) + (1 << 26)  # the valid sparse pack's one block: more than the whole address-space limit
TRIALS = 400
HEADER = struct.Struct("<8sIIIIQQQ32s")
BAD_NUMBERS = {"count": [10**18, 1.5], "offset": [1e300, 64], "length": [0.0], "level": [0, 1.5], "points": [0.5],
               "fraction": [0, 1, 1.5, -0.1, 1e-400], "unit_pc": [0, -0.0, 1e400], "stars": [1.5, 10**18], "radius_pc": [0, -0.0, 1e999]}

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS and sparse files as on Linux")


def seal(raw: bytes) -> bytes:
    return bytes(raw[:80]) + hashlib.sha256(bytes(raw[:80])).digest() + bytes(raw[112:])


def header(version: int, count: int, dir_length: int, file_length: int, digest: bytes) -> bytes:
    return seal(HEADER.pack(b"HELIOSPK", version, 128, count, 0, 128, dir_length, file_length, digest).ljust(128, b"\0"))


def reseal_directory(raw: bytes, directory: bytes, version: int, count: int | None = None) -> bytes:
    """``raw`` with its directory replaced by ``directory``: in place (padded with spaces) when it fits, else a pack of
    the header and the directory alone; header checksums recomputed."""
    fields = HEADER.unpack_from(raw)
    count = fields[3] if count is None else count
    if len(directory) <= fields[6]:
        directory = directory.ljust(fields[6])
        return header(version, count, len(directory), len(raw), hashlib.sha256(directory).digest()) + directory + raw[128 + len(directory):]
    return header(version, count, len(directory), 128 + len(directory), hashlib.sha256(directory).digest()) + directory


def nested(depth: int, rng: random.Random) -> bytes:
    opening = "".join(rng.choice("[{") for _ in range(min(depth, 64)))
    opening = (opening * (depth // len(opening) + 1))[:depth]
    closing = "".join("}" if c == "{" else "]" for c in reversed(opening))
    return "".join('{"a":' if c == "{" else "[" for c in opening).encode() + b"0" + closing.encode()


def corruptions(rng: random.Random, raw: bytes, directory: dict, version: int, tmp: Path):
    """(name, bytes or a path already written) of one corrupted pack."""
    fields = HEADER.unpack_from(raw)
    spans = sorted((b["offset"], b["offset"] + b["length"]) for c in directory["cells"] for b in c["blocks"])
    gaps = [i for i in range(128 + fields[6], len(raw)) if not any(a <= i < b for a, b in spans)] + list(range(80, 128))
    kind = rng.choice(["truncate", "flip", "flip padding", "extend", "header field", "directory", "directory", "directory",
                       "huge directory claim"])
    if kind == "truncate":
        return kind, raw[:rng.randrange(0, len(raw))]
    if kind in ("flip", "flip padding"):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            at = rng.choice(gaps) if kind == "flip padding" else rng.randrange(len(data))
            data[at] ^= 1 << rng.randrange(8)
        return kind, bytes(data)
    if kind == "extend":
        data = raw + bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
        return kind, seal(data[:40] + struct.pack("<Q", len(data)) + data[48:]) if rng.random() < 0.5 else data
    if kind == "header field":
        offset, size = rng.choice([(12, 4), (16, 4), (20, 4), (24, 8), (32, 8), (40, 8)])
        value = rng.choice([2**(8 * size) - 1, 2**(8 * size - 1), rng.randrange(2**(8 * size)), fields[6] + 1, 0])
        if value == int.from_bytes(raw[offset:offset + size], "little"):
            value ^= 1
        data = raw[:offset] + value.to_bytes(size, "little") + raw[offset + size:]
        return f"{kind} {offset}={value}", seal(data) if rng.random() < 0.8 else data
    if kind == "huge directory claim":  # a sparse file as long as the header says, the claim resealed
        length = rng.choice([100 << 20, (64 << 20) + 1, 2**40])
        path = tmp / "claim.pack"
        with open(path, "wb") as handle:
            handle.write(header(version, fields[3], length, 128 + length, bytes(32)))
            handle.truncate(128 + length if length < 2**32 else 1 << 30)
        return f"{kind} {length}", path
    d = copy.deepcopy(directory)
    d["meta"].pop("pad")
    cell = rng.choice(d["cells"])
    block = rng.choice(cell["blocks"])
    count = None
    change = rng.choice(["nested", "version", "format", "missing key", "cell key", "block key", "id", "number", "not an object",
                         "constant", "utf-8", "cells claim"])
    if change == "nested":
        blob = nested(rng.choice([17, 40, 1000, 5000, 100_000, 300_000]), rng)
        where = rng.choice(["meta", "cell", "block", "top"])
        target = {"meta": d["meta"], "cell": cell, "block": block, "top": d}[where]
        target["deep"] = "@@DEEP@@"
        text = json.dumps(d, sort_keys=True, separators=(",", ":")).encode().replace(b'"@@DEEP@@"', blob)
        return f"{kind} {change} {where}", reseal_directory(raw, text, version)
    if change == "version":
        d["version"] = rng.choice([99, 2, 0, -1, str(version), None, float(version), True, [version], 2**70])
        if d["version"] is None:
            del d["version"]
    elif change == "format":
        d["format"] = rng.choice(["helios-pack", "", None, 7, "HELIOS-PACK-DIRECTORY"])
    elif change == "missing key":
        del d[rng.choice(["format", "version", "cells"])]
    elif change == "cell key":
        del cell[rng.choice(["id", "centre_pc", "radius_pc", "stars", "blocks"])]
    elif change == "block key":
        del block[rng.choice(sorted(block))]
    elif change == "id":
        cell["id"] = rng.choice(["\x1b[2J\x1b[31mowned", "\x1b]0;title\x07", "a\nb", "", "x" * 65, "../../etc/passwd", "\u202e1_0_0",
                                 "1_0_0\x00", 7, None, ["1_0_0"], d["cells"][0]["id"] if cell is not d["cells"][0] else "1 0 0"])
    elif change == "number":  # a value that is wrong for its key
        key = rng.choice(["stars", "radius_pc", *(key for key in BAD_NUMBERS if key in block)])
        values = BAD_NUMBERS[key] + [10**400, 2**64, -1, None, "1", True]
        if key in ("count", "length", "offset", "points"):
            values += [block[key] + 1, block[key] + 1 << 30]
        if key == "stars":
            values += [cell["stars"] + 1]
        (cell if key in ("stars", "radius_pc") else block)[key] = rng.choice(values)
    elif change == "not an object":
        return f"{kind} {change}", reseal_directory(raw, rng.choice([b"[]", b"0", b'"cells"', b"null", b"[" * 10]), version)
    elif change == "constant":
        text = json.dumps(d, sort_keys=True, separators=(",", ":")).encode()
        text = text.replace(b'"meta":{', b'"meta":{"x":' + rng.choice([b"NaN", b"Infinity", b"-Infinity"]) + b",", 1)
        return f"{kind} {change}", reseal_directory(raw, text, version)
    elif change == "utf-8":
        text = json.dumps(d, sort_keys=True, separators=(",", ":")).encode()
        return f"{kind} {change}", reseal_directory(raw, text.replace(b'"meta":{', b'"meta":{"x":"\xff\xfe",', 1), version)
    elif change == "cells claim":
        count = rng.choice([2**32 - 1, len(d["cells"]) + 1, 0])
    text = json.dumps(d, sort_keys=True, separators=(",", ":")).encode()
    return f"{kind} {change}", reseal_directory(raw, text, version, count)


def huge_valid_pack(path: Path, version: int) -> None:
    """One cell whose points block (all zeros: stars at the centre, magnitude 0, colour 0) is HUGE_BLOCK bytes, sparse."""
    digest = hashlib.sha256()
    chunk = bytes(1 << 24)
    for _ in range(HUGE_BLOCK // len(chunk)):
        digest.update(chunk)
    for offset in range(0, 1 << 20, 64):  # the directory's length depends on the offset's digits: find a fixed point
        block = {"count": HUGE_BLOCK // 16, "kind": "points", "length": HUGE_BLOCK, "offset": offset, "sha256": digest.hexdigest()}
        directory = json.dumps({"cells": [{"blocks": [block], "centre_pc": [0.0, 0.0, 0.0], "id": "0_0_0", "radius_pc": 1.0,
                                           "stars": HUGE_BLOCK // 16}], "format": "helios-pack-directory", "meta": {}, "version": version},
                               sort_keys=True, separators=(",", ":")).encode()
        if offset >= 128 + len(directory):
            break
    with open(path, "wb") as handle:
        handle.write(header(version, 1, len(directory), offset + HUGE_BLOCK, hashlib.sha256(directory).digest()))
        handle.write(directory.ljust(offset - 128, b"\0"))
        handle.truncate(offset + HUGE_BLOCK)


def worker(tmp: str, seed: int) -> None:
    """The fuzz loop (run in a child process by the test): one JSON line of results on stdout."""
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))
    from helios import cli
    from helios.pack import VERSION, PackError, read_pack, write_pack
    from tests.test_pack import cells

    tmp_path = Path(tmp)
    rng = random.Random(seed)
    bases = []
    for number, data in enumerate((cells(seed=4, splat_encoding="f16"), cells(seed=3))):
        path = tmp_path / f"base{number}.pack"
        directory = write_pack(path, data, meta={"pad": "x" * 400})
        read_pack(path)
        bases.append((path.read_bytes(), directory))
    failures, kinds = [], {}

    def run(name: str, path: Path, expect_error: bool, pack_info: bool) -> None:
        try:
            read_pack(path)
            outcome = None
        except PackError as exc:
            outcome = str(exc)
        except BaseException as exc:  # noqa: BLE001 - anything else is what the test is for
            failures.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
            return
        if outcome is None and expect_error:
            failures.append(f"{name}: accepted")
        elif outcome is not None and not expect_error:
            failures.append(f"{name}: refused a valid pack ({outcome[:200]})")
        elif outcome is not None and (not outcome.startswith(f"{path}: ") or not outcome.isprintable() or len(outcome) > 600):
            failures.append(f"{name}: unclear message {outcome[:300]!r}")
        if pack_info:
            out, err = io.StringIO(), io.StringIO()
            code = 0
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    cli.main(["-q", "pack-info", str(path)])
                except SystemExit as exc:
                    code = exc.code
                except BaseException as exc:  # noqa: BLE001
                    code = f"{type(exc).__name__}: {exc}"
            text = out.getvalue() + err.getvalue()
            lines = err.getvalue().splitlines()
            if expect_error and not (code == 1 and len(lines) == 1 and lines[0].startswith("helios: error: ")):
                failures.append(f"{name}: pack-info exit {code!r}, stderr {err.getvalue()[:300]!r}")
            if not expect_error and code != 0:
                failures.append(f"{name}: pack-info exit {code!r} on a valid pack: {err.getvalue()[:300]!r}")
            if any(not line.isprintable() for line in text.splitlines()):
                failures.append(f"{name}: pack-info printed control characters")

    target = tmp_path / "fuzz.pack"
    for trial in range(TRIALS):
        raw, directory = bases[trial % len(bases)]
        name, data = corruptions(rng, raw, directory, VERSION, tmp_path)
        if isinstance(data, Path):
            path = data
        else:
            target.write_bytes(data)
            path = target
        kinds[name.split(" ")[0]] = kinds.get(name.split(" ")[0], 0) + 1
        run(f"trial {trial} ({name})", path, True, trial % 8 == 0)
    huge = tmp_path / "huge.pack"
    huge_valid_pack(huge, VERSION)
    run("a valid pack of more than 1 GiB", huge, False, True)
    huge.unlink()
    # The peak of this process's own memory: /proc's VmHWM (ru_maxrss would carry over the parent's size at the fork)
    peak_kib = next(int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM:"))
    print(json.dumps({"failures": failures, "kinds": kinds, "maxrss_mib": peak_kib / 1024}))


def test_fuzzed_packs_are_refused_clearly_within_a_memory_limit(tmp_path):
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-c", f"from tests.test_pack_fuzz import worker; worker({str(tmp_path)!r}, 20261204)"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.splitlines()[-1])
    assert not report["failures"], f"{len(report['failures'])} failures:\n" + "\n".join(report["failures"][:40])
    assert set(report["kinds"]) >= {"truncate", "flip", "extend", "header", "directory", "huge"}, report["kinds"]
    assert report["maxrss_mib"] < 600, report
