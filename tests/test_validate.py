"""helios validate / pack / pack-info on a real small run, intact and damaged."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_a_failed_check_fails_the_workflow_and_keeps_its_record(finished_run, tmp_path):
    """validation.json (ok: false) and the report showing it stay; the check_validation step fails the run."""
    work = Path(shutil.copytree(finished_run.parent, tmp_path / "run", symlinks=True))  # the module's run stays intact
    results = work / finished_run.name
    ply = next((results / "trained" / "cells").glob("*.ply"))
    stat = ply.stat()
    ply.write_bytes(ply.read_bytes()[:-4] + b"XXXX")
    os.utime(ply, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # damage Snakemake cannot see: only validation reruns
    (results / "validation.json").unlink()
    result = subprocess.run([sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                             "--configfile", str(work / "config.yaml"), "--cores", "1"], capture_output=True, text=True)
    assert result.returncode != 0, result.stdout + result.stderr
    validation = json.loads((results / "validation.json").read_text())
    assert not validation["ok"] and any("checksum mismatch" in c["detail"] for c in validation["checks"] if not c["ok"])
    page = (results / "report" / "report.html").read_text()
    assert "Validation: <span style='color:#cf222e'>FAILED</span>" in page and "checksum mismatch" in page
    assert not (results / "validation.ok").exists()
    assert "validation failed (trained checksums, pack round trip)" in (work / "logs" / "gather" / "check_validation.log").read_text()
