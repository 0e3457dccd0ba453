"""helios validate / pack / pack-info on a real small run, intact and damaged."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO, TINY_TRAIN

pytestmark = pytest.mark.slow


def helios_cli(*args):
    return subprocess.run([sys.executable, "-m", "helios.cli", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("run")
    (work / "config.yaml").write_text(yaml.safe_dump({
        "output_dir": "results", "catalog": {"synthetic": {"stars": 3000, "seed": 4}},
        "select": {"mode": "all"}, "grid": {"n_theta": 2, "n_phi": 2, "base": 10.0}, "train": TINY_TRAIN}))
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                             "--configfile", str(work / "config.yaml"), "--cores", "2"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return work / "results"


@pytest.fixture
def run_copy(finished_run, tmp_path):
    return shutil.copytree(finished_run, tmp_path / "results")


def test_intact_run_passes(finished_run):
    result = helios_cli("validate", finished_run)
    assert result.returncode == 0, result.stdout
    assert "HELIOS validation: PASSED" in result.stdout and "[ok] pack round trip" in result.stdout
    assert json.loads((finished_run / "validation.json").read_text())["ok"]


def test_missing_cell_file(run_copy):
    ply = next((run_copy / "trained" / "cells").glob("*.ply"))
    ply.unlink()
    result = helios_cli("validate", run_copy)
    assert result.returncode == 1
    assert f"[FAIL] trained checksums: cells/{ply.name} missing" in result.stdout


def test_checksum_mismatch(run_copy):
    ply = next((run_copy / "trained" / "cells").glob("*.ply"))
    raw = bytearray(ply.read_bytes())
    raw[-1] ^= 0xFF
    ply.write_bytes(bytes(raw))
    result = helios_cli("validate", run_copy)
    assert result.returncode == 1 and f"cells/{ply.name} checksum mismatch" in result.stdout


def test_corrupt_pack(run_copy):
    pack = run_copy / "trained" / "cells.pack.bin"
    pack.write_bytes(pack.read_bytes()[:-7])
    result = helios_cli("validate", run_copy, "--output", run_copy / "v.json")
    assert result.returncode == 1 and "[FAIL] pack round trip" in result.stdout and "truncated" in result.stdout
    assert not json.loads((run_copy / "v.json").read_text())["ok"]


def test_pack_and_pack_info(finished_run, tmp_path):
    result = helios_cli("pack", "--universe", finished_run / "trained", "--output", tmp_path / "half.pack", "--dtype", "float16")
    assert result.returncode == 0, result.stderr
    info = helios_cli("pack-info", tmp_path / "half.pack")
    trained = json.loads((finished_run / "trained" / "index.json").read_text())
    assert info.returncode == 0 and f"{trained['cell_count']} cells" in info.stdout and "all checksums OK" in info.stdout
    assert info.stdout.count(" f16 ") == trained["cell_count"]
    (tmp_path / "bad.pack").write_bytes(b"HELIOSPK" + b"\0" * 200)
    bad = helios_cli("pack-info", tmp_path / "bad.pack")
    assert bad.returncode == 1 and "helios: error:" in bad.stderr and "Traceback" not in bad.stderr


def test_validation_fails_the_workflow(finished_run, tmp_path):
    """A failed check fails the `validate` rule, and so the workflow."""
    work = finished_run.parent
    ply = next((finished_run / "trained" / "cells").glob("*.ply"))
    saved, stat = ply.read_bytes(), ply.stat()
    try:
        ply.write_bytes(saved[:-4] + b"XXXX")
        os.utime(ply, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # damage Snakemake cannot see: only validate reruns
        (finished_run / "validation.json").unlink()
        result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                                 "--configfile", str(work / "config.yaml"), "--cores", "1",
                                 str(finished_run.name) + "/validation.json"], capture_output=True, text=True)
        assert result.returncode != 0, result.stdout + result.stderr
        assert "checksum mismatch" in (work / "logs" / "gather" / "validate.log").read_text(), result.stderr[-3000:]
    finally:
        ply.write_bytes(saved)
        os.utime(ply, ns=(stat.st_atime_ns, stat.st_mtime_ns))
