"""cells.pack.bin version 2: layout, round trips, and damage caught with a clear PackError."""

import hashlib
import json
import math
import struct

import numpy as np
import pytest

from helios import photometry
from helios.pack import ALIGNMENT, HEADER_SIZE, PackBlock, PackCell, PackError, PackReader, read_pack, splat_block, write_pack
from helios.pack_records import decode_points, decode_velocities, encode_gaussians, encode_points, encode_velocities


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
    assert reader.directory == directory and reader.directory["meta"] == {"note": "test"} and reader.directory["version"] == 2
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
    assert (magic, version, header_size, count, dir_offset, file_length) == (b"HELIOSPK", 2, HEADER_SIZE, 4, HEADER_SIZE, len(raw))
    directory = json.loads(raw[dir_offset:dir_offset + dir_length])
    assert hashlib.sha256(raw[dir_offset:dir_offset + dir_length]).digest() == digest
    assert directory["record_bytes"] == {"points": 16, "velocities": 12, "level": 32, "splats_f32": 56, "splats_f16": 28}
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
        (lambda raw: raw[:HEADER_SIZE + 5] + bytes([raw[HEADER_SIZE + 5] ^ 1]) + raw[HEADER_SIZE + 6:], "directory checksum"),
        (lambda raw: raw[:-3] + bytes([raw[-3] ^ 0x40]) + raw[-2:], "block checksum"),
    ],
)
def test_damage_is_reported(tmp_path, damage, message):
    write_pack(tmp_path / "c.pack", cells())
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
    # Every flip lands in a checksummed byte or padding, so damage is almost always caught; nothing else escapes.
    assert outcomes["error"] > 350


def test_unknown_cell(tmp_path):
    write_pack(tmp_path / "c.pack", cells())
    with pytest.raises(PackError, match="no cell"):
        PackReader(tmp_path / "c.pack").points("9_9_9")
