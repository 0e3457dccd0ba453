"""The client's pack reader (client/src/pack.js) against helios.pack: same decoded values, same verdicts."""

import numpy as np

from helios.pack import PackError, read_pack, write_pack
from helios.trained_index import pack_universe
from tests.client.node import run_script
from tests.test_pack import cells


def test_js_reader_decodes_the_stars_and_velocities_python_wrote(sample_universe, tmp_path):
    pack = tmp_path / "u.pack"
    pack_universe(sample_universe, pack, None, "f32")
    [outcome] = run_script("read_packs.mjs", "--decode", str(pack))
    assert "ok" in outcome, outcome
    decoded = outcome["ok"]["cells"]
    reader = read_pack(pack)
    assert outcome["ok"]["meta"] == reader.directory["meta"]
    assert set(decoded) == set(reader.cells)
    for cell_id, entry in reader.cells.items():
        positions, abs_mag, colours = reader.points(cell_id)
        js = decoded[cell_id]
        local = np.asarray(js["positions"], dtype=np.float32).reshape(-1, 3)
        assert np.array_equal(local.astype(np.float64) + np.asarray(entry["centre_pc"]), positions)
        assert np.array_equal(np.asarray(js["absMag"], dtype=np.float32), abs_mag.astype(np.float32))
        assert np.allclose(np.asarray(js["colours"]).reshape(-1, 3), colours, rtol=1e-6, atol=0)  # float32 in the client
        assert np.array_equal(np.asarray(js["velocities"], dtype=np.float32).reshape(-1, 3), reader.velocities(cell_id))


def test_js_reader_accepts_levels_and_splats_blocks(tmp_path):
    for encoding in ("f16", "f32", None):
        write_pack(tmp_path / f"{encoding}.pack", cells(seed=3, splat_encoding=encoding))
    outcomes = run_script("read_packs.mjs", *(str(tmp_path / f"{encoding}.pack") for encoding in ("f16", "f32", None)))
    assert outcomes == [{"ok": True}] * 3


def python_verdict(path) -> str:
    try:
        read_pack(path).verify()
        return "ok"
    except PackError:
        return "error"


def test_fuzzed_packs_get_the_python_readers_verdict_and_never_crash(tmp_path):
    """Random truncations and bit flips: pack.js raises PackError (never anything else) exactly when helios.pack does."""
    write_pack(tmp_path / "c.pack", cells(seed=4, splat_encoding="f16"))
    raw = (tmp_path / "c.pack").read_bytes()
    rng = np.random.default_rng(6)
    files = []
    for trial in range(200):
        data = bytearray(raw[: int(rng.integers(0, len(raw)))] if trial % 2 else raw)
        for _ in range(int(rng.integers(1, 4))):
            if data:
                data[int(rng.integers(0, len(data)))] ^= 1 << int(rng.integers(0, 8))
        files.append(tmp_path / f"fuzz{trial}.pack")
        files[-1].write_bytes(bytes(data))
    outcomes = run_script("read_packs.mjs", *map(str, files))
    assert not [o for o in outcomes if "crash" in o], [o for o in outcomes if "crash" in o][:3]
    js = ["ok" if "ok" in o else "error" for o in outcomes]
    assert js == [python_verdict(path) for path in files]
    assert js.count("error") > 150
    truncated = [o["error"] for o, path in zip(outcomes, files) if len(path.read_bytes()) < len(raw) and "error" in o]
    assert any("truncated" in message or "bytes" in message for message in truncated)
