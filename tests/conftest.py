"""Shared test helpers: small catalogue files in the layouts HELIOS reads."""

from __future__ import annotations

import gzip
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
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


def snakemake_command(work: Path, *args: str, snakefile: Path = REPO / "Snakefile", configfile: Path | None = None) -> list[str]:
    """Snakemake on ``snakefile`` in the working directory ``work`` with its ``config.yaml`` (or ``configfile``), on 2 cores."""
    return [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", str(work),
            "--configfile", str(configfile or work / "config.yaml"), "--cores", "2", *args]


def planned_jobs(command: Sequence[str], env: dict[str, str] | None = None) -> dict[str, int]:
    """Rule -> job count from the job table of a Snakemake dry run of ``command``."""
    result = subprocess.run([*command, "-n"], capture_output=True, text=True, env=env)
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


@dataclass(frozen=True)
class WorkflowRun:
    """A finished Snakemake run: its working directory (``config.yaml``, ``results/``, ``logs/``, ``.snakemake/``)
    and what Snakemake printed.  Shared by the tests of a session: read it; to change it, change a copy."""

    work: Path
    output: str

    @property
    def results(self) -> Path:
        return self.work / "results"

    def copy(self, destination: Path) -> Path:
        """A copy of the working directory with every mtime kept (shutil.copy2, as copytree does), so that Snakemake
        finds the run finished there as here: the copy's working directory."""
        return Path(shutil.copytree(self.work, destination, symlinks=True))


class StartedRun:
    """A real Snakemake run of ``config`` in ``work`` (``work/config.yaml``: the config written, or a copy of the file
    ``config``, given to ``--configfile`` as a user gives it), started in the background; :meth:`wait` waits for it.
    What Snakemake prints goes to a file beside ``work`` (no pipe to fill while other runs go on)."""

    def __init__(self, work: Path, config: dict | Path, *args: str, env: dict[str, str] | None = None) -> None:
        work.mkdir(parents=True, exist_ok=True)
        if isinstance(config, Path):
            shutil.copy(config, work / "config.yaml")
        else:
            (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        self.work, self.log = work, work.parent / f"{work.name}.snakemake.log"
        command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work),
                   "--configfile", str(config if isinstance(config, Path) else work / "config.yaml"), *args]
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)

    @property
    def results(self) -> Path:
        return self.work / "results"

    def wait(self, timeout: float = 1800) -> subprocess.CompletedProcess:
        """Snakemake's exit status and output (stdout and stderr together, as ``stdout``)."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, self.log.read_text(), "")

    def finished(self) -> WorkflowRun:
        """The run, once it has succeeded."""
        result = self.wait()
        assert result.returncode == 0, result.stdout[-5000:]
        return WorkflowRun(self.work, result.stdout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


#: .test/config.yaml with the seed trainer's product (train.ground_truth: starfield) and its TINY_TRAIN options.
STARFIELD_CONFIG = {**yaml.safe_load(TEST_CONFIG.read_text()), "train": TINY_TRAIN}
#: The two-file catalogue's run (tests/test_workflow.py): a Gaia bulk file and an Archive query, 6 x 3 sectors, the cells
#: of bright stars; the seed trainer's tiny splats.
TWO_FILE_CONFIG = {"output_dir": "results", "catalog": {"files": ["GaiaSource_*.csv.gz", "query.csv"], "limit": 300},
                   "grid": {"n_theta": 6, "n_phi": 3}, "select": {"neighbors": 0, "categories": ["bright_star"]}, "train": TINY_TRAIN}


def _start_tiny_levels_run(scratch: Path) -> StartedRun:
    return StartedRun(scratch / "work", TEST_CONFIG, "--cores", "2")


def _start_tiny_starfield_run(scratch: Path) -> StartedRun:
    return StartedRun(scratch / "work", STARFIELD_CONFIG, "--cores", "2")


def _start_tiny_starfield_run_without_node(scratch: Path) -> StartedRun:
    client = scratch / "client"
    shutil.copytree(REPO / "client", client, ignore=shutil.ignore_patterns("node_modules"))
    return StartedRun(scratch / "work", STARFIELD_CONFIG, "--cores", "2", env={**os.environ, "HELIOS_CLIENT": str(client)})


def _start_two_file_run(scratch: Path) -> StartedRun:
    work = scratch / "work"
    work.mkdir()
    rows = [{"source_id": 100 + i, "ra": (i * 37.0) % 360, "dec": -60 + (i * 11) % 120, "parallax": 2.0 + (i % 50),
             "parallax_error": 0.05, "phot_g_mean_mag": 5 + (i % 10) * 0.5, "bp_rp": 0.3 + (i % 7) * 0.3} for i in range(400)]
    bulk_csv(work / "GaiaSource_000000-000001.csv.gz", rows[:250])
    archive_csv(work / "query.csv", ["SOURCE_ID", "RA", "DEC", "PARALLAX", "PARALLAX_ERROR", "PHOT_G_MEAN_MAG"],
                [[r["source_id"], r["ra"], r["dec"], r["parallax"], r["parallax_error"], r["phot_g_mean_mag"]] for r in rows[250:]]
                + [[999, 10.0, 95.0, 1.0, 0.1, 7.0]])  # dec out of range: dropped and counted
    return StartedRun(work, TWO_FILE_CONFIG, "--cores", "2")


#: The session's shared workflow runs: fixture name -> how to start it in a scratch directory.
SESSION_RUNS = {
    "tiny_levels_run": _start_tiny_levels_run,
    "tiny_starfield_run": _start_tiny_starfield_run,
    "tiny_starfield_run_without_node": _start_tiny_starfield_run_without_node,
    "two_file_run": _start_two_file_run,
}


@pytest.fixture(scope="session")
def started_session_runs(request, tmp_path_factory):
    """Every shared run the session's tests use, started at once when a test first needs one: side by side they fill
    the CPUs each run's serial steps (ingest, partition, the gather steps) leave idle."""
    used = {name for item in request.session.items for name in item.fixturenames if name in SESSION_RUNS}
    runs = {name: SESSION_RUNS[name](tmp_path_factory.mktemp(name.replace("_", "-"))) for name in sorted(used)}
    yield runs
    for run in runs.values():
        run.stop()


def _session_run(started_session_runs, tmp_path_factory, name: str) -> WorkflowRun:
    if name not in started_session_runs:  # asked for by name at run time (request.getfixturevalue): start it now
        started_session_runs[name] = SESSION_RUNS[name](tmp_path_factory.mktemp(name.replace("_", "-")))
    return started_session_runs[name].finished()


@pytest.fixture(scope="session")
def tiny_levels_run(started_session_runs, tmp_path_factory) -> WorkflowRun:
    """.test/config.yaml (levels of detail, the default) run end to end as a new user runs it (``--configfile
    .test/config.yaml``); ``config.yaml`` in its working directory is a copy."""
    return _session_run(started_session_runs, tmp_path_factory, "tiny_levels_run")


@pytest.fixture(scope="session")
def tiny_starfield_run(started_session_runs, tmp_path_factory) -> WorkflowRun:
    """The seed trainer's product on .test/config.yaml (STARFIELD_CONFIG), run end to end."""
    return _session_run(started_session_runs, tmp_path_factory, "tiny_starfield_run")


@pytest.fixture(scope="session")
def tiny_starfield_run_without_node(started_session_runs, tmp_path_factory) -> WorkflowRun:
    """STARFIELD_CONFIG run again from scratch on a machine without the client's npm install (a cluster's login node
    without Node): HELIOS_CLIENT is a copy of client/ without node_modules."""
    return _session_run(started_session_runs, tmp_path_factory, "tiny_starfield_run_without_node")


@pytest.fixture(scope="session")
def two_file_run(started_session_runs, tmp_path_factory) -> WorkflowRun:
    """TWO_FILE_CONFIG on its two catalogue files (in the working directory), run end to end."""
    return _session_run(started_session_runs, tmp_path_factory, "two_file_run")
