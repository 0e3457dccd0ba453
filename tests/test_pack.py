import hashlib
import json
import math
import struct

import numpy as np
import pytest

from helios.pack import ALIGNMENT, HEADER_SIZE, PackCell, PackError, PackReader, read_pack, write_pack


def cells(n_cells=4, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_cells):
        n = int(rng.integers(0, 50)) if i else 0  # the first cell is empty
        records = rng.normal(size=(n, 14)).astype(np.float32)
        records[:, 0:3] *= 300.0  # pc
        out.append(PackCell(f"{i}_1_2", [1e3 * i, -5.0, 2.5], 400.0, records))
    return out


def test_float32_round_trip_is_exact(tmp_path):
    data = cells()
    directory = write_pack(tmp_path / "c.pack", data, "f32", meta={"note": "test"})
    reader = PackReader(tmp_path / "c.pack")
    assert reader.directory == directory and reader.directory["meta"] == {"note": "test"}
    for cell in data:
        assert np.array_equal(reader.read_cell(cell.id), cell.records)
        assert np.array_equal(reader.read_cell_pc(cell.id).astype(np.float32), cell.records)
        entry = reader.cells[cell.id]
        assert entry["offset"] % ALIGNMENT == 0 and entry["transform"]["centre_pc"] == list(cell.centre_pc)


def test_float16_within_half_precision(tmp_path):
    data = cells(seed=1)
    write_pack(tmp_path / "h.pack", data, "f16")
    reader = PackReader(tmp_path / "h.pack")
    for cell in data:
        got = reader.read_cell_pc(cell.id)
        scale = reader.cells[cell.id]["transform"]["scale_pc"]
        assert scale == 400.0
        bound = 2.0**-11 * (np.abs(cell.records) + np.r_[[scale] * 3, [math.log(scale)] * 3, [0] * 8]) + 1e-7
        assert (np.abs(got - cell.records) <= bound).all()
    assert (tmp_path / "h.pack").stat().st_size < 0.6 * write_size(tmp_path, data)


def write_size(tmp_path, data):
    write_pack(tmp_path / "f.pack", data, "f32")
    return (tmp_path / "f.pack").stat().st_size


def test_header_layout_for_other_readers(tmp_path):
    write_pack(tmp_path / "c.pack", cells(), "f32")
    raw = (tmp_path / "c.pack").read_bytes()
    magic, version, header_size, count, _, dir_offset, dir_length, file_length, digest = struct.unpack_from("<8sIIIIQQQ32s", raw)
    assert (magic, version, header_size, count, dir_offset, file_length) == (b"HELIOSPK", 1, HEADER_SIZE, 4, HEADER_SIZE, len(raw))
    directory = json.loads(raw[dir_offset:dir_offset + dir_length])
    assert hashlib.sha256(raw[dir_offset:dir_offset + dir_length]).digest() == digest
    entry = directory["cells"][1]
    block = raw[entry["offset"]:entry["offset"] + entry["length"]]
    assert hashlib.sha256(block).hexdigest() == entry["sha256"]
    assert np.frombuffer(block, "<f4").size == entry["count"] * 14


def test_same_input_same_bytes(tmp_path):
    write_pack(tmp_path / "a.pack", cells(), "f32")
    write_pack(tmp_path / "b.pack", cells(), "f32")
    assert (tmp_path / "a.pack").read_bytes() == (tmp_path / "b.pack").read_bytes()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: raw[:100], "truncated"),
        (lambda raw: raw[:-1], "truncated or extended"),
        (lambda raw: b"NOTAPACK" + raw[8:], "bad magic"),
        (lambda raw: raw[:HEADER_SIZE + 5] + bytes([raw[HEADER_SIZE + 5] ^ 1]) + raw[HEADER_SIZE + 6:], "directory checksum"),
        (lambda raw: raw[:-3] + bytes([raw[-3] ^ 0x40]) + raw[-2:], "block checksum"),
    ],
)
def test_damage_is_reported(tmp_path, damage, message):
    write_pack(tmp_path / "c.pack", cells(), "f32")
    (tmp_path / "bad.pack").write_bytes(damage((tmp_path / "c.pack").read_bytes()))
    with pytest.raises(PackError, match=message):
        read_pack(tmp_path / "bad.pack")


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
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["cells"][2].update(offset=d["cells"][2]["offset"] + 10**9), "past the end"),
        (lambda d: d["cells"][2].update(count=10**12), "absurd splat count"),
        (lambda d: d["cells"][2].update(count=d["cells"][2]["count"] + 1), "does not match"),
        (lambda d: d["cells"][2].update(encoding="f64"), "unknown encoding"),
        (lambda d: d["cells"][2].update(offset=d["cells"][1]["offset"]), "overlaps|misaligned|does not match"),
        (lambda d: d["cells"][2]["transform"].update(scale_pc=-1), "invalid transform"),
        (lambda d: d["cells"].pop(), "header says 4 cells"),
    ],
)
def test_semantic_checks(tmp_path, change, message):
    write_pack(tmp_path / "c.pack", cells(seed=3), "f32")
    rewrite_directory(tmp_path / "c.pack", change)
    with pytest.raises(PackError, match=message):
        read_pack(tmp_path / "c.pack")


def test_fuzz_truncations_and_flips_raise_only_pack_errors(tmp_path):
    write_pack(tmp_path / "c.pack", cells(seed=4), "f16")
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
    # Every flip lands in a checksummed byte or padding, so damage is almost always caught; nothing else escapes.
    assert outcomes["error"] > 350


def test_unknown_cell(tmp_path):
    write_pack(tmp_path / "c.pack", cells(), "f32")
    with pytest.raises(PackError, match="no cell"):
        PackReader(tmp_path / "c.pack").read_cell("9_9_9")
