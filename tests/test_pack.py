"""cells.pack.bin version 3: layout, round trips, and damage caught with a clear PackError; readers stream."""

import hashlib
import json
import math
import os
import re
import struct
import tracemalloc

import numpy as np
import pytest

from helios import cli, photometry
from helios.pack.format import (
    ALIGNMENT,
    HEADER_SIZE,
    MAX_DIRECTORY_BYTES,
    VERSION,
    PackBlock,
    PackCell,
    PackError,
    PackReader,
    read_pack,
    splat_block,
    write_pack,
)
from helios.pack.records import decode_points, decode_velocities, encode_gaussians, encode_points, encode_velocities


def cells(n_cells=4, seed=0, splat_encoding=None):
    """Cells with points; cell 1 with two levels, cell 2 with splats (``splat_encoding``) or a level; cell 0 empty."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_cells):
        n = int(rng.integers(5, 50)) if i else 0
        centre, radius = [1e3 * i, -5.0, 2.5], 400.0
        positions = rng.normal(0, 100, (n, 3))
        abs_mag = np.sort(rng.uniform(-1, 12, n))
        colours = photometry.unit_luminance(rng.uniform(0.2, 1, (n, 3)))
        blocks = [PackBlock("points", n, encode_points(positions, abs_mag, colours))]
        if i % 2:
            blocks.append(PackBlock("velocities", n, encode_velocities(rng.normal(0, 0.05, (n, 3)))))
        if i == 1 or (i == 2 and splat_encoding is None):
            for number, (points, count) in enumerate(((1, 2), (3, 4))[: 2 if i == 1 else 1], 1):
                data = encode_gaussians(rng.normal(0, 50, (count, 3)), rng.uniform(1, 30, (count, 3)), np.tile([1.0, 0, 0, 0], (count, 1)),
                                        rng.uniform(-3, 3, count), photometry.unit_luminance(rng.uniform(0.2, 1, (count, 3))))
                blocks.append(PackBlock("level", count, data, {"level": number, "fraction": 0.01 * number, "points": points,
                                                                  "remainder_abs_mag": float(np.float16(abs_mag[points]))}))
        elif i == 2:
            records = rng.normal(size=(n, 14))
            records[:, 0:3] *= 300.0
            blocks.append(splat_block(records, splat_encoding, radius))
        out.append(PackCell(f"{i}_1_2", centre, radius, n, blocks))
    return out


def test_round_trip_of_points_and_levels(tmp_path):
    data = cells()
    directory = write_pack(tmp_path / "c.pack", data, meta={"note": "test"})
    reader = read_pack(tmp_path / "c.pack")
    assert reader.directory == directory and reader.directory["meta"] == {"note": "test"} and reader.directory["version"] == 3
    for cell in data:
        entry = reader.cells[cell.id]
        assert entry["centre_pc"] == list(cell.centre_pc) and entry["stars"] == cell.stars
        for block, stored in zip(cell.blocks, entry["blocks"]):
            assert stored["offset"] % ALIGNMENT == 0
            assert reader.read_block(cell.id, stored) == block.data
        positions, abs_mag, _ = reader.points(cell.id)
        expected, expected_mag, _ = decode_points(cell.blocks[0].data)
        assert np.array_equal(positions, expected + np.asarray(cell.centre_pc)) and np.array_equal(abs_mag, expected_mag)
    assert [b["level"] for b in reader.levels("1_1_2")] == [1, 2] and reader.level("1_1_2", 2)["mean"].shape == (4, 3)
    velocities = reader.velocities("1_1_2")
    assert velocities.shape == (data[1].stars, 3) and np.array_equal(velocities, decode_velocities(data[1].blocks[1].data))
    with pytest.raises(PackError, match="has no velocities"):
        reader.velocities("2_1_2")
    with pytest.raises(PackError, match="no level 3"):
        reader.level("1_1_2", 3)


def test_splats_float32_exact_and_float16_within_half_precision(tmp_path):
    for encoding in ("f32", "f16"):
        data = cells(seed=1, splat_encoding=encoding)
        write_pack(tmp_path / f"{encoding}.pack", data)
        reader = read_pack(tmp_path / f"{encoding}.pack")
        block = reader.block("2_1_2", "splats")
        stored = np.frombuffer(data[2].blocks[1].data, "<f4" if encoding == "f32" else "<f2").reshape(-1, 14).astype(np.float64)
        unit = block["unit_pc"]
        assert unit == (1.0 if encoding == "f32" else 400.0)
        original = stored.copy()
        original[:, 0:3] *= unit
        original[:, 3:6] += math.log(unit)
        got = reader.splats("2_1_2")
        if encoding == "f32":
            assert np.array_equal(got, original)
        else:
            assert np.allclose(got, original, rtol=1e-12, atol=1e-12)
            assert block["length"] == block["count"] * 28


def test_header_and_blocks_read_by_an_independent_reader(tmp_path):
    """struct and hashlib only: what a client in another language must do (docs/pack-format.md)."""
    data = cells()
    write_pack(tmp_path / "c.pack", data)
    raw = (tmp_path / "c.pack").read_bytes()
    magic, version, header_size, count, _, dir_offset, dir_length, file_length, digest = struct.unpack_from("<8sIIIIQQQ32s", raw)
    assert (magic, version, header_size, count, dir_offset, file_length) == (b"HELIOSPK", 3, HEADER_SIZE, 4, HEADER_SIZE, len(raw))
    assert raw[80:112] == hashlib.sha256(raw[:80]).digest() and raw[112:128] == bytes(16)
    directory = json.loads(raw[dir_offset:dir_offset + dir_length])
    assert hashlib.sha256(raw[dir_offset:dir_offset + dir_length]).digest() == digest
    assert directory["record_bytes"] == {"points": 16, "velocities": 12, "ids": 16, "level": 32, "splats_f32": 56, "splats_f16": 28}
    cell = directory["cells"][1]
    points = cell["blocks"][0]
    block = raw[points["offset"]:points["offset"] + points["length"]]
    assert hashlib.sha256(block).hexdigest() == points["sha256"] and len(block) == 16 * cell["stars"]
    x, y, z, mag16, rgb565 = struct.unpack_from("<fffeH", block, 16)  # the second star
    positions, abs_mag, colours = PackReader(tmp_path / "c.pack").points(cell["id"])
    assert np.allclose([x, y, z], positions[1] - cell["centre_pc"], rtol=0, atol=1e-9) and mag16 == abs_mag[1]
    shown = np.array([rgb565 >> 11, (rgb565 >> 5) & 63, rgb565 & 31]) / [31, 63, 31]
    linear = np.where(shown <= 0.04045, shown / 12.92, ((shown + 0.055) / 1.055) ** 2.4)
    assert np.allclose(linear / (linear @ [0.2126, 0.7152, 0.0722]), colours[1])
    velocities = cell["blocks"][1]
    vx, vy, vz = struct.unpack_from("<fff", raw, velocities["offset"] + 12)  # the second star's
    assert np.allclose([vx, vy, vz], PackReader(tmp_path / "c.pack").velocities(cell["id"])[1], rtol=0, atol=0)
    level = cell["blocks"][2]
    record = raw[level["offset"]:level["offset"] + 32]
    mean_x, _, _, log_s0, _, _, w, _, _, _, mag, colour, spare = struct.unpack("<fffeeeeeeeeHH", record)
    assert spare == 0 and w == pytest.approx(1.0) and 0 < math.exp(log_s0) < 40


def test_same_input_same_bytes(tmp_path):
    write_pack(tmp_path / "a.pack", cells())
    write_pack(tmp_path / "b.pack", cells())
    assert (tmp_path / "a.pack").read_bytes() == (tmp_path / "b.pack").read_bytes()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[:100], "truncated"),
        (lambda raw: raw[:-1], "truncated or extended"),
        (lambda raw: b"NOTAPACK" + raw[8:], "bad magic"),
        (lambda raw: raw[:8] + struct.pack("<I", 1) + raw[12:], "version 1 is not supported"),
        (lambda raw: seal(raw[:8] + struct.pack("<I", 2) + raw[12:]), "version 2 is not supported.*rebuild the pack"),
        (lambda raw: seal(raw[:8] + struct.pack("<I", 99) + raw[12:]), "version 99 is not supported"),
        (lambda raw: raw[:20] + b"\1" + raw[21:], "header checksum"),
        (lambda raw: raw[:100] + bytes([raw[100] ^ 1]) + raw[101:], "header checksum"),
        (lambda raw: raw[:127] + b"\1" + raw[128:], "header.*must be zero"),
        (lambda raw: raw[:HEADER_SIZE + 5] + bytes([raw[HEADER_SIZE + 5] ^ 1]) + raw[HEADER_SIZE + 6:], "directory checksum"),
        (lambda raw: raw[:-3] + bytes([raw[-3] ^ 0x40]) + raw[-2:], "block checksum"),
    ],
)
def test_damage_is_reported(tmp_path, damage, message):
    write_pack(tmp_path / "c.pack", cells())
    (tmp_path / "bad.pack").write_bytes(damage((tmp_path / "c.pack").read_bytes()))
    with pytest.raises(PackError, match=message):
        read_pack(tmp_path / "bad.pack")


def seal(raw):
    """The header's checksum (bytes 80..111: SHA-256 of bytes 0..79) recomputed after an edit."""
    return bytes(raw[:80]) + hashlib.sha256(bytes(raw[:80])).digest() + bytes(raw[112:])


def pack_with_directory(path, directory, cells=0, file_length=None):
    """A pack of a header and the given directory bytes, checksums right: to reach the directory's checks."""
    file_length = HEADER_SIZE + len(directory) if file_length is None else file_length
    header = struct.pack("<8sIIIIQQQ32s", b"HELIOSPK", VERSION, HEADER_SIZE, cells, 0, HEADER_SIZE, len(directory), file_length,
                         hashlib.sha256(directory).digest())
    path.write_bytes(seal(header.ljust(HEADER_SIZE, b"\0")) + directory)
    return path


def directory_bytes(**fields):
    directory = {"format": "helios-pack-directory", "version": VERSION, "cells": [], "meta": {}, **fields}
    return json.dumps({k: v for k, v in directory.items() if v is not None}, sort_keys=True, separators=(",", ":")).encode()


def rewrite_directory(path, change):
    """Edit the directory and re-seal it (checksums right), to test the semantic checks."""
    raw = bytearray(path.read_bytes())
    fields = list(struct.unpack_from("<8sIIIIQQQ32s", raw))
    directory = json.loads(raw[fields[5]:fields[5] + fields[6]])
    change(directory)
    directory.pop("fields")  # not needed by the reader; frees room so the edit fits in place
    new = json.dumps(directory, sort_keys=True, separators=(",", ":")).encode().ljust(fields[6])
    assert len(new) == fields[6]
    raw[fields[5]:fields[5] + fields[6]] = new
    fields[8] = hashlib.sha256(new).digest()
    raw[:80] = struct.pack("<8sIIIIQQQ32s", *fields)
    path.write_bytes(seal(raw))


def block_of(d, cell, index):
    return d["cells"][cell]["blocks"][index]


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: block_of(d, 2, 0).update(offset=block_of(d, 2, 0)["offset"] + 10**9), "past the end"),
        (lambda d: block_of(d, 2, 0).update(count=10**12), "absurd record count"),
        (lambda d: block_of(d, 2, 0).update(count=block_of(d, 2, 0)["count"] + 1), "does not match"),
        (lambda d: block_of(d, 2, 1).update(kind="voxels"), "unknown block kind"),
        (lambda d: block_of(d, 2, 1).update(encoding="f64"), "unknown splat encoding"),
        (lambda d: block_of(d, 2, 0).update(offset=block_of(d, 1, 0)["offset"]), "overlaps|misaligned|does not match"),
        (lambda d: d["cells"][2].update(radius_pc=-1), "invalid radius_pc"),
        (lambda d: d["cells"][2].update(centre_pc=[0, 0]), "invalid centre_pc"),
        (lambda d: d["cells"][2].update(stars=d["cells"][2]["stars"] + 1), "points block holds"),
        (lambda d: d["cells"][2]["blocks"].pop(0), "one points block"),
        (lambda d: block_of(d, 1, 1).update(count=block_of(d, 1, 1)["count"] + 1, length=12 * (block_of(d, 1, 1)["count"] + 1)),
         "velocities block holds"),
        (lambda d: block_of(d, 1, 2).update(kind="velocities", remainder_abs_mag=0, fraction=0), "at most one velocities"),
        (lambda d: block_of(d, 1, 2).update(points=10**6), "invalid level block"),
        (lambda d: block_of(d, 1, 2).update(fraction=1.5), "invalid level block"),
        (lambda d: block_of(d, 1, 2).update(remainder_abs_mag=None), "remainder_abs_mag must be"),
        (lambda d: block_of(d, 1, 2).update(remainder_abs_mag="bright"), "remainder_abs_mag must be"),
        (lambda d: d["cells"][3].update(id=d["cells"][1]["id"]), "appears twice"),
        (lambda d: d["cells"].pop(), "header says 4 cells"),
    ],
)
def test_semantic_checks(tmp_path, change, message):
    write_pack(tmp_path / "c.pack", cells(seed=3, splat_encoding="f32"))
    rewrite_directory(tmp_path / "c.pack", change)
    with pytest.raises(PackError, match=message):
        read_pack(tmp_path / "c.pack")


def test_fuzz_truncations_and_flips_raise_only_pack_errors(tmp_path):
    write_pack(tmp_path / "c.pack", cells(seed=4, splat_encoding="f16"))
    raw = (tmp_path / "c.pack").read_bytes()
    rng = np.random.default_rng(5)
    target = tmp_path / "fuzz.pack"
    outcomes = {"error": 0, "ok": 0}
    for trial in range(400):
        data = bytearray(raw[: int(rng.integers(0, len(raw)))] if trial % 2 else raw)
        for _ in range(int(rng.integers(1, 4))):
            if data:
                data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
        target.write_bytes(bytes(data))
        try:
            read_pack(target)
            outcomes["ok"] += 1
        except PackError:
            outcomes["error"] += 1
    # Every flip lands in a checksummed byte or in padding that must be zero, so damage is always caught; nothing else escapes.
    assert outcomes == {"error": 400, "ok": 0}


def test_unknown_cell(tmp_path):
    write_pack(tmp_path / "c.pack", cells())
    with pytest.raises(PackError, match="no cell"):
        PackReader(tmp_path / "c.pack").points("9_9_9")


def block_spans(directory):
    return sorted((b["offset"], b["offset"] + b["length"]) for cell in directory["cells"] for b in cell["blocks"])


def test_every_byte_is_checked(tmp_path):
    """Each byte of a pack is under a SHA-256 (header fields, directory, blocks) or must be zero (padding): flipping any
    one bit of any byte, padding included, is caught."""
    directory = write_pack(tmp_path / "c.pack", cells(n_cells=3, seed=7, splat_encoding="f16"))
    raw = (tmp_path / "c.pack").read_bytes()
    spans = block_spans(directory)
    gaps = [i for i in range(HEADER_SIZE + len(json.dumps(directory, sort_keys=True, separators=(",", ":"))), len(raw))
            if not any(a <= i < b for a, b in spans)]
    assert gaps and all(raw[i] == 0 for i in gaps)  # the test covers alignment padding
    target = tmp_path / "flipped.pack"
    missed = []
    for position in range(len(raw)):
        target.write_bytes(raw[:position] + bytes([raw[position] ^ (1 << position % 8)]) + raw[position + 1:])
        try:
            read_pack(target)
            missed.append(position)
        except PackError:
            pass
    assert not missed, f"{len(missed)} of {len(raw)} flipped bytes not caught, e.g. at {missed[:10]} (gaps {gaps[:5]}...)"


def test_padding_between_blocks_names_the_problem(tmp_path):
    directory = write_pack(tmp_path / "c.pack", cells())
    raw = bytearray((tmp_path / "c.pack").read_bytes())
    (first, end), _ = block_spans(directory)[1:3]
    raw[end + 1] = 7
    (tmp_path / "c.pack").write_bytes(bytes(raw))
    with pytest.raises(PackError, match=f"padding at byte {end + 1} is not zero"):
        read_pack(tmp_path / "c.pack")


def test_gaps_are_only_alignment_padding(tmp_path):
    """A block moved 64 bytes further (its bytes too, the gap zero, every checksum right) is refused: nothing but
    alignment padding lies outside a checksum."""
    directory = write_pack(tmp_path / "c.pack", cells())
    last = directory["cells"][-1]["blocks"][-1]
    rewrite_directory(tmp_path / "c.pack", lambda d: d["cells"][-1]["blocks"][-1].update(offset=last["offset"] + ALIGNMENT))
    raw = (tmp_path / "c.pack").read_bytes()
    raw = bytearray(raw[:last["offset"]] + bytes(ALIGNMENT) + raw[last["offset"]:])
    raw[40:48] = struct.pack("<Q", len(raw))
    (tmp_path / "c.pack").write_bytes(seal(raw))
    with pytest.raises(PackError, match=f"{ALIGNMENT + last['offset'] - block_spans(directory)[-2][1]}-byte gap before"):
        read_pack(tmp_path / "c.pack")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"version": 99}, "directory version 99 is not the header's 3"),
        ({"version": "3"}, "directory version '3' is not the header's 3"),
        ({"version": None}, "directory has no 'version'"),
        ({"format": None}, "not a HELIOS pack directory"),
        ({"format": "something-else"}, "not a HELIOS pack directory"),
        ({"cells": None}, "directory has no cell list"),
        ({"meta": [1]}, "meta"),
    ],
)
def test_directory_format_and_version_are_checked(tmp_path, capsys, fields, message):
    path = pack_with_directory(tmp_path / "d.pack", directory_bytes(**fields))
    with pytest.raises(PackError, match=re.escape(message)):
        read_pack(path)
    with pytest.raises(SystemExit) as exited:
        cli.main(["pack-info", str(path)])
    err = capsys.readouterr().err
    assert exited.value.code == 1 and err.startswith("helios: error:") and err.count("\n") == 1 and "Traceback" not in err


def test_an_empty_directory_is_a_pack(tmp_path):
    write_pack(tmp_path / "empty.pack", [])
    assert read_pack(tmp_path / "empty.pack").cells == {}


@pytest.mark.parametrize("depth", [17, 1000, 200_000])
def test_deeply_nested_directory_is_refused_without_recursion(tmp_path, depth):
    nested = b'{"cells":[],"format":"helios-pack-directory","meta":{"x":' + b"[" * depth + b"]" * depth + b'},"version":%d}' % VERSION
    path = pack_with_directory(tmp_path / "deep.pack", nested)
    with pytest.raises(PackError, match="nested deeper than 16"):
        read_pack(path)


def test_brackets_in_strings_do_not_count_as_nesting(tmp_path):
    path = pack_with_directory(tmp_path / "s.pack", directory_bytes(meta={"note": "[[[[{{{{" * 10 + '\\"[[[' + "\\\\"}))
    assert read_pack(path).directory["meta"]["note"].startswith("[[[[{{{{")


def test_directory_size_is_bounded_before_reading(tmp_path):
    """A header that claims a directory above MAX_DIRECTORY_BYTES (a sparse file that long) is refused before reading it."""
    path = tmp_path / "huge.pack"
    length = MAX_DIRECTORY_BYTES + 1
    header = struct.pack("<8sIIIIQQQ32s", b"HELIOSPK", VERSION, HEADER_SIZE, 0, 0, HEADER_SIZE, length, HEADER_SIZE + length, bytes(32))
    with open(path, "wb") as handle:
        handle.write(seal(header.ljust(HEADER_SIZE, b"\0")))
        handle.truncate(HEADER_SIZE + length)
    tracemalloc.start()
    try:
        with pytest.raises(PackError, match=f"directory of {length:,} bytes is larger than"):
            read_pack(path)
        assert tracemalloc.get_traced_memory()[1] < 1 << 20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("bad", ["\x1b[31mred", "\x1b]0;title\x07", "a b", "", "x" * 65, "../etc", "4_2_2\n", "caf\u00e9", 42])
def test_cell_ids_must_be_safe_tokens(tmp_path, capsys, bad):
    write_pack(tmp_path / "c.pack", cells())
    rewrite_directory(tmp_path / "c.pack", lambda d: d["cells"][1].update(id=bad))
    with pytest.raises(PackError, match="directory entry 1: invalid 'id'"):
        read_pack(tmp_path / "c.pack")
    with pytest.raises(SystemExit):
        cli.main(["pack-info", str(tmp_path / "c.pack")])
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err and out.err.count("\n") == 1


def test_child_cell_ids_with_dots_are_read(tmp_path, capsys):
    data = cells()
    data[1] = PackCell("6_3_2.1.0", data[1].centre_pc, data[1].radius_pc, data[1].stars, data[1].blocks)
    write_pack(tmp_path / "c.pack", data)
    assert "6_3_2.1.0" in read_pack(tmp_path / "c.pack").cells
    cli.main(["pack-info", str(tmp_path / "c.pack")])
    assert "6_3_2.1.0" in capsys.readouterr().out


def test_readers_stream_memory_independent_of_the_pack_size(tmp_path, capsys):
    """read_pack and `helios pack-info` hold the directory and one block at a time, never the file: 24 blocks of 1 MiB
    are checked with well under 24 MiB of Python memory."""
    rng = np.random.default_rng(0)
    count = (1 << 20) // 16
    write_pack(tmp_path / "big.pack", [PackCell(f"{i}_0_0", [i, 0.0, 0.0], 10.0, count, [PackBlock("points", count, rng.bytes(16 * count))])
                                       for i in range(24)])
    assert os.path.getsize(tmp_path / "big.pack") > 24 << 20
    tracemalloc.start()
    try:
        read_pack(tmp_path / "big.pack")
        cli.main(["pack-info", str(tmp_path / "big.pack")])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "all checksums OK" in capsys.readouterr().out
    assert peak < 4 << 20, f"peak {peak / 2**20:.1f} MiB"
