"""The client's pack reader (client/src/pack.js) against helios.pack: same decoded values, same verdicts."""

import numpy as np

from helios.pack import PackError, read_pack, write_pack
from helios.pack.assembly import METHODS, pack_universe
from tests.client.node import run_script
from tests.test_pack import cells


def test_js_reader_decodes_the_stars_velocities_and_ids_python_wrote(sample_universe, tmp_path):
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
        ids = reader.ids(cell_id)
        assert [int(v) for v in js["ids"]["sourceIds"]] == ids["source_id"].tolist()
        assert np.array_equal(np.asarray(js["ids"]["teff"], dtype=np.float32), ids["teff_k"])
        for name in ("distance", "colour", "motion"):
            assert js["ids"]["methods"][name] == [METHODS[f"{name}_method"][code] for code in ids[f"{name}_method"]]


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


def damaged_packs(tmp_path):
    """Packs that helios.pack refuses for each of its version-3 checks (and two it reads), as (name, path)."""
    import struct

    from helios.pack import MAX_DIRECTORY_BYTES, PackCell
    from tests.test_pack import block_spans, pack_with_directory, rewrite_directory, seal

    def written(name, data=None):
        path = tmp_path / f"{name}.pack"
        directory = write_pack(path, cells(seed=3, splat_encoding="f16") if data is None else data)
        return path, directory

    def edited(name, change):
        path, directory = written(name)
        raw = bytearray(path.read_bytes())
        change(raw, directory)
        path.write_bytes(bytes(raw))
        return name, path

    def rewritten(name, change):
        path, _ = written(name)
        rewrite_directory(path, change)
        return name, path

    def flip(at):
        def change(raw, directory):
            raw[at(directory)] ^= 1
        return change

    def resealed(raw, directory):
        raw[:] = seal(raw[:8] + struct.pack("<I", 2) + raw[12:])

    def extended(raw, directory):
        raw.extend(bytes(5))
        raw[40:48] = struct.pack("<Q", len(raw))
        raw[:] = seal(raw)

    child = cells()
    child[1] = PackCell("6_3_2.1.0", child[1].centre_pc, child[1].radius_pc, child[1].stars, child[1].blocks)
    nested = b'{"cells":[],"format":"helios-pack-directory","meta":{"x":' + b"[" * 200_000 + b"]" * 200_000 + b'},"version":3}'
    huge = tmp_path / "huge_claim.pack"
    huge.write_bytes(seal(struct.pack("<8sIIIIQQQ32s", b"HELIOSPK", 3, 128, 0, 0, 128, MAX_DIRECTORY_BYTES + 1, 1000, bytes(32))
                          .ljust(128, b"\0")).ljust(1000, b"\0"))
    return [
        ("valid", written("valid")[0]),
        ("child ids", written("child", child)[0]),
        ("no cells", written("no cells", [])[0]),
        edited("version 2", resealed),
        edited("header field", flip(lambda d: 20)),
        edited("header checksum", flip(lambda d: 100)),
        edited("header padding", flip(lambda d: 127)),
        edited("gap", flip(lambda d: block_spans(d)[1][1] + 1)),
        edited("trailing bytes", extended),
        rewritten("directory version", lambda d: d.update(version=99)),
        rewritten("no version", lambda d: d.pop("version")),
        rewritten("format", lambda d: d.update(format="other")),
        rewritten("meta", lambda d: d.update(meta=[1])),
        rewritten("escape id", lambda d: d["cells"][1].update(id="\x1b[31mred")),
        rewritten("string fraction", lambda d: d["cells"][1]["blocks"][2].update(fraction="0.5")),
        rewritten("bad sha256", lambda d: d["cells"][0]["blocks"][0].update(sha256="x")),
        ("nested", pack_with_directory(tmp_path / "nested.pack", nested)),
        ("huge directory claim", huge),
    ]


def test_js_reader_refuses_what_the_python_reader_refuses(tmp_path):
    """Each version-3 check (header checksum and padding, gaps, trailing bytes, directory format and version, nesting,
    size, ids): pack.js gives helios.pack's verdict, with a message free of control characters."""
    packs = damaged_packs(tmp_path)
    outcomes = run_script("read_packs.mjs", *(str(path) for _, path in packs))
    verdicts = {name: ("ok" if "ok" in outcome else "error" if "error" in outcome else outcome) for (name, _), outcome in zip(packs, outcomes)}
    assert verdicts == {name: python_verdict(path) for name, path in packs}
    assert [name for name, verdict in verdicts.items() if verdict == "ok"] == ["valid", "child ids", "no cells"]
    assert all(o["error"].isprintable() for o in outcomes if "error" in o)
    messages = {name: outcome.get("error", "") for (name, _), outcome in zip(packs, outcomes)}
    assert "rebuild the pack" in messages["version 2"] and "header fails its SHA-256" in messages["header checksum"]
    assert "nested deeper than 16" in messages["nested"] and "larger than" in messages["huge directory claim"]
    assert "padding at byte" in messages["gap"] and "\\u001b[31mred" in messages["escape id"]
