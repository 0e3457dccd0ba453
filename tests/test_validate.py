"""helios validate / pack / pack-info on a real small run, intact and damaged."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import REPO, TINY_VALIDATE

pytestmark = pytest.mark.slow


def helios_cli(*args):
    return subprocess.run([sys.executable, "-m", "helios.cli", *map(str, args)], capture_output=True, text=True)


def validate(results, *args):
    """``helios validate`` with the thresholds the tiny run was made for (.test/config.yaml)."""
    return helios_cli("validate", results, "--min-median-loss-reduction", TINY_VALIDATE["min_median_loss_reduction"], *args)


@pytest.fixture(scope="module")
def finished_run(tiny_levels_run):
    """The results of the session's run of .test/config.yaml (levels); tests that damage them work on a copy."""
    return tiny_levels_run.results


@pytest.fixture
def run_copy(finished_run, tmp_path):
    return shutil.copytree(finished_run, tmp_path / "results")


def test_intact_run_passes(finished_run):
    result = validate(finished_run)
    assert result.returncode == 0, result.stdout
    assert "HELIOS validation: PASSED" in result.stdout and "[ok] pack round trip" in result.stdout
    assert json.loads((finished_run / "validation.json").read_text())["ok"]


def test_damaged_minor_planets_fail_the_validation(run_copy):
    """The run carries the embedded minor planets (solar_system.mpcorb: builtin): checked; a changed byte fails."""
    assert "[ok] minor planets: 29 orbits" in validate(run_copy).stdout
    path = run_copy / "trained" / "pack" / "minor_planets.bin"
    data = bytearray(path.read_bytes())
    data[-3] ^= 1
    path.write_bytes(bytes(data))
    result = validate(run_copy)
    assert result.returncode != 0 and "[FAIL] minor planets" in result.stdout and "not the file the pack index lists" in result.stdout


def levels_file(results):
    """The largest levels table: trained/levels/JOB/CELL.levels.parquet (a job per cell)."""
    return max((results / "trained" / "levels").glob("*/*.levels.parquet"), key=lambda p: p.stat().st_size)


def test_missing_cell_file(run_copy):
    levels = levels_file(run_copy)
    levels.unlink()
    result = validate(run_copy)
    assert result.returncode == 1
    cell = levels.name.split(".")[0]
    assert f"[FAIL] trained checksums: levels/{cell}/{cell}.levels.parquet missing" in result.stdout


def test_checksum_mismatch(run_copy):
    levels = levels_file(run_copy)
    raw = bytearray(levels.read_bytes())
    raw[-1] ^= 0xFF
    levels.write_bytes(bytes(raw))
    result = validate(run_copy)
    cell = levels.name.split(".")[0]
    assert result.returncode == 1 and f"levels/{cell}/{cell}.levels.parquet checksum mismatch" in result.stdout


@pytest.mark.parametrize("damage", ["gaussian moved", "remainder magnitude"])
def test_a_pack_that_is_sound_but_not_the_runs_fails(run_copy, tmp_path, damage):
    """A well-formed pack whose level is not the encoding of the trained file (one Gaussian moved, or the directory's
    magnitude of the brightest star a level's Gaussians carry 1 mag off) fails the round trip."""
    from helios.pack import PackBlock, PackCell, PackReader, write_pack

    shard = run_copy / "trained" / "pack" / "shard-0000.pack.bin"  # the test run is one shard
    reader = PackReader(shard)
    cells, moved = [], False
    for cell_id, entry in reader.cells.items():
        blocks = []
        for block in entry["blocks"]:
            data = bytearray(reader.read_block(cell_id, block))
            attributes = {k: v for k, v in block.items() if k not in ("kind", "count", "offset", "length", "sha256")}
            if block["kind"] == "level" and block["count"] and not moved:
                if damage == "gaussian moved":  # the first Gaussian's x, 1 pc further
                    data[0:4] = (np.frombuffer(bytes(data[0:4]), "<f4") + 1.0).astype("<f4").tobytes()
                else:
                    attributes["remainder_abs_mag"] += 1.0
                moved = True
            blocks.append(PackBlock(block["kind"], block["count"], bytes(data), attributes))
        cells.append(PackCell(cell_id, entry["centre_pc"], entry["radius_pc"], entry["stars"], blocks))
    write_pack(shard, cells, reader.directory["meta"])
    result = validate(run_copy)
    assert result.returncode == 1 and "[FAIL] pack round trip" in result.stdout and "differ from the encoded sources" in result.stdout


def test_levels_that_lose_light_fail(run_copy):
    """A level whose Gaussians carry 20 % less light than its stars fails "light kept" (max_level_light_error 1 %)."""
    index_path = run_copy / "trained" / "index.json"
    index = json.loads(index_path.read_text())
    index["cells"][0]["levels"][0]["luminosity_ratio"] = 0.8
    index_path.write_text(json.dumps(index))
    result = validate(run_copy)
    assert result.returncode == 1 and "[FAIL] light kept" in result.stdout and "(-20.0%)" in result.stdout


def test_corrupt_pack(run_copy):
    pack = run_copy / "trained" / "pack" / "shard-0000.pack.bin"
    pack.write_bytes(pack.read_bytes()[:-7])
    result = validate(run_copy, "--output", run_copy / "v.json")
    assert result.returncode == 1 and "[FAIL] pack round trip" in result.stdout and "truncated" in result.stdout
    assert not json.loads((run_copy / "v.json").read_text())["ok"]


def test_pack_and_pack_info(finished_run, tmp_path):
    result = helios_cli("pack", finished_run, "--output", tmp_path / "again")
    assert result.returncode == 0, result.stderr
    for name in ("index.json", "shard-0000.pack.bin"):
        assert (tmp_path / "again" / name).read_bytes() == (finished_run / "trained" / "pack" / name).read_bytes()
    trained = json.loads((finished_run / "trained" / "index.json").read_text())
    universe = json.loads((finished_run / "universe" / "index.json").read_text())
    for target in ("index.json", "shard-0000.pack.bin"):  # the pack index (every shard) or one pack file
        info = helios_cli("pack-info", tmp_path / "again" / target)
        assert info.returncode == 0 and f"{universe['cell_count']} cells" in info.stdout and "all checksums OK" in info.stdout
        blocks = [" ".join(line.split()[2:-5]) for line in info.stdout.splitlines()[2:]]  # cell, stars, BLOCK, records, points, offset, bytes, file
        assert blocks.count("points") == universe["cell_count"]
        assert blocks.count("level 1") == blocks.count("level 2") == trained["cell_count"]
    points_only = helios_cli("pack", finished_run / "universe", "--output", tmp_path / "points")
    assert points_only.returncode == 0 and "level" not in points_only.stdout, points_only.stderr
    (tmp_path / "bad.pack").write_bytes(b"HELIOSPK" + b"\0" * 200)
    bad = helios_cli("pack-info", tmp_path / "bad.pack")
    assert bad.returncode == 1 and "helios: error:" in bad.stderr and "Traceback" not in bad.stderr
    shard = tmp_path / "again" / "shard-0000.pack.bin"
    shard.write_bytes(shard.read_bytes()[:-64] + bytes(64))  # a shard file whose last bytes changed: its index says otherwise
    bad = helios_cli("pack-info", tmp_path / "again" / "index.json")
    assert bad.returncode == 1 and "shard-0000.pack.bin" in bad.stderr, bad.stderr


def test_a_failed_check_fails_the_workflow_and_keeps_its_record(tiny_levels_run, tmp_path):
    """validation.json (ok: false) and the report showing it stay; the check_validation step fails the run."""
    work = tiny_levels_run.copy(tmp_path / "run")  # the session's run stays intact
    results = work / tiny_levels_run.results.name
    levels = levels_file(results)
    stat = levels.stat()
    levels.write_bytes(levels.read_bytes()[:-4] + b"XXXX")
    os.utime(levels, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # damage Snakemake cannot see: only validation reruns
    (results / "validation.json").unlink()
    shutil.rmtree(results / "validation")  # each shard's checks too: they rerun, and the pack no longer matches its sources
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                             "--configfile", str(work / "config.yaml"), "--cores", "1"], capture_output=True, text=True)
    assert result.returncode != 0, result.stdout + result.stderr
    validation = json.loads((results / "validation.json").read_text())
    assert not validation["ok"] and any("checksum mismatch" in c["detail"] for c in validation["checks"] if not c["ok"])
    page = (results / "report" / "report.html").read_text()
    assert "Validation: <span style='color:#cf222e'>FAILED</span>" in page and "checksum mismatch" in page
    assert not (results / "validation.ok").exists()
    assert "validation failed (trained checksums, pack round trip)" in (work / "logs" / "gather" / "check_validation.log").read_text()
