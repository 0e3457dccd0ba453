"""Shared test helpers: small catalogue files in the layouts HELIOS reads."""

from __future__ import annotations

import gzip
import logging
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parent.parent
GAIA_COLUMNS = (DATA / "gaia_dr3_gaia_source_columns.csvheader").read_text().strip().split(",")

ECSV_HEADER = """# %ECSV 1.0
# ---
# delimiter: ','
# datatype:
# - {name: solution_id, datatype: int64}
# - {name: source_id, datatype: int64}
# - {name: ra, unit: deg, datatype: float64}
# meta: !!omap
# - {CATALOGUE: Gaia DR3}
"""


def write_text(path: Path, text: str, gz: bool = False) -> Path:
    data = text.encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def archive_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[object]], gz: bool = False) -> Path:
    """A Gaia Archive style CSV: header row, empty fields for missing values."""
    lines = [",".join(columns)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return write_text(path, "\n".join(lines) + "\n", gz)


def bulk_csv(path: Path, rows: Sequence[dict[str, object]], gz: bool = True) -> Path:
    """A Gaia DR3 bulk-release file: ECSV '#' block, 152 columns, 'null' for missing."""
    lines = [",".join(GAIA_COLUMNS)]
    for row in rows:
        lines.append(",".join("null" if row.get(c) is None else str(row[c]) for c in GAIA_COLUMNS))
    return write_text(path, ECSV_HEADER + "\n".join(lines) + "\n", gz)


# Training as small as it gets, for end-to-end runs that test the plumbing, not the fit: the one of .test/config.yaml.
TEST_CONFIG = REPO / ".test" / "config.yaml"
#: Levels of detail (the workflow's default, train.ground_truth: levels), and the validation they can pass.
TINY_LEVELS = yaml.safe_load(TEST_CONFIG.read_text())["levels"]
TINY_VALIDATE = yaml.safe_load(TEST_CONFIG.read_text())["validate"]
#: The seed trainer's splats (train.ground_truth: starfield).
TINY_TRAIN = {**yaml.safe_load(TEST_CONFIG.read_text())["train"], "ground_truth": "starfield"}


def planned_jobs(command: Sequence[str]) -> dict[str, int]:
    """Rule -> job count from the job table of a Snakemake dry run of ``command``."""
    result = subprocess.run([*command, "-n"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    text = result.stdout + result.stderr
    if "Nothing to be done" in text:
        return {}
    table = text.split("Job stats:")[1].split("total")[0]
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M)}


@pytest.fixture(autouse=True)
def helios_logging_restored():
    """A command run in-process (``helios.cli.main``) points the ``helios`` logger at the sys.stderr of that
    moment, a capture stream pytest closes after the test: put the logger back as it was, so that later
    tests' log records do not go to a closed stream."""
    logger = logging.getLogger("helios")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
    logger.propagate = propagate


@pytest.fixture
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_universe(tmp_path_factory) -> Path:
    """The embedded Hipparcos sample (Hp <= 7), built once per test session."""
    from helios.build import build
    from helios.ingest import IngestOptions
    from helios.motion import HIPPARCOS_EPOCH

    out = tmp_path_factory.mktemp("sample") / "universe"
    build([{"kind": "file", "path": str(REPO / "data" / "hipparcos2_hp7.csv.gz")}], out, IngestOptions(ref_epoch=HIPPARCOS_EPOCH))
    return out
