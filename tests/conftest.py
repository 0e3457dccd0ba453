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

# Two test workers on two cores, each starting Snakemake jobs that use both: OpenMP threads that wait for work
# sleep rather than spin (GNU OpenMP's default spins), or they burn the other worker's CPU time.  Set before
# torch is imported here or in any process the tests start.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

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


#: The seed trainer's modules (helios.seed, and gsplat, which only it uses), for blocked_imports_env.
SEED_TRAINER = "gsplat,helios.seed"


def blocked_imports_env(blocked: str) -> dict[str, str]:
    """The environment of a process in which the modules ``blocked`` names (comma-separated) cannot be imported, as
    on a machine without them (tests/blocked_imports/sitecustomize.py)."""
    blocker = REPO / "tests" / "blocked_imports"
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(blocker), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
            "HELIOS_BLOCKED_IMPORTS": blocked}


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


#: Runs that tests share, and the group of the tests that use each (a parameter value naming one, for a test
#: that takes it with request.getfixturevalue, counts as using it).  With pytest-xdist (``-n 2``, ``--dist
#: loadgroup``, as the README's test command runs) each group runs on one worker, so each run is made once;
#: the other tests spread over the workers.  The two seed-trainer runs go together (a test compares them).
SHARED_RUNS = {"tiny_levels_run": "tiny_levels_run", "tiny_starfield_run": "tiny_starfield_run",
               "tiny_starfield_run_without_node": "tiny_starfield_run", "two_file_run": "two_file_run"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        params = getattr(item, "callspec", None)
        used = set(item.fixturenames) | {v for v in (params.params.values() if params else ()) if isinstance(v, str)}
        groups = {SHARED_RUNS[name] for name in used if name in SHARED_RUNS}
        assert len(groups) <= 1, f"{item.nodeid} uses runs of different groups {sorted(groups)}: put them in one group"
        if groups:
            item.add_marker(pytest.mark.xdist_group(groups.pop()))


def pytest_sessionfinish(session):
    from tests.browser.harness import close_shared_browser

    close_shared_browser()


@pytest.fixture(autouse=True)
def shared_browser_closed_outside_browser_tests(request):
    """The Chromium the browser tests share (tests/browser/harness.py) is closed before any other test: Playwright's sync
    API holds an asyncio event loop while it is up, and Snakemake run in-process (helios.workflow) refuses to start
    under one."""
    if REPO / "tests" / "browser" not in request.node.path.parents:
        from tests.browser.harness import close_shared_browser

        close_shared_browser()
    yield


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
    env: dict[str, str] | None = None  # the environment it ran in (None: the tests')

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
        self.work, self.log, self.env = work, work.parent / f"{work.name}.snakemake.log", env
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
        return WorkflowRun(self.work, result.stdout, self.env)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


#: .test/config.yaml with the seed trainer's product (train.ground_truth: starfield) and its TINY_TRAIN options.
STARFIELD_CONFIG = {**yaml.safe_load(TEST_CONFIG.read_text()), "train": TINY_TRAIN}


@pytest.fixture(scope="session")
def tiny_levels_run(tmp_path_factory) -> WorkflowRun:
    """.test/config.yaml (levels of detail, the default) run end to end as a new user runs it (``--configfile
    .test/config.yaml``); ``config.yaml`` in its working directory is a copy.  It runs with the seed trainer not
    importable (SEED_TRAINER blocked, as on a machine without gsplat): the default product stands alone
    (tests/test_levels_stand_alone.py)."""
    return StartedRun(tmp_path_factory.mktemp("tiny-levels-run"), TEST_CONFIG, "--cores", "2", env=blocked_imports_env(SEED_TRAINER)).finished()


@pytest.fixture(scope="session")
def tiny_starfield_run(tmp_path_factory) -> WorkflowRun:
    """The seed trainer's product on .test/config.yaml (STARFIELD_CONFIG), run end to end."""
    return StartedRun(tmp_path_factory.mktemp("tiny-starfield-run"), STARFIELD_CONFIG, "--cores", "2").finished()


@pytest.fixture(scope="session")
def tiny_starfield_run_without_node(tmp_path_factory) -> WorkflowRun:
    """STARFIELD_CONFIG run again from scratch on a machine without the client's npm install (a cluster's login node
    without Node): HELIOS_CLIENT is a copy of client/ without node_modules."""
    scratch = tmp_path_factory.mktemp("tiny-starfield-run-without-node")
    client = scratch / "client"
    shutil.copytree(REPO / "client", client, ignore=shutil.ignore_patterns("node_modules"))
    return StartedRun(scratch / "work", STARFIELD_CONFIG, "--cores", "2", env={**os.environ, "HELIOS_CLIENT": str(client)}).finished()


@pytest.fixture(scope="session")
def gaia_like_universe(tmp_path_factory):
    """The embedded sample under Gaia DR3 ids: each star's source_id made as Gaia makes them, its level-12 HEALPix
    index (astropy-healpix) times 2^35, plus 2^32 and its HIP number; its place and magnitudes unchanged."""
    import numpy as np
    import pandas as pd

    from helios.build import build

    astropy_healpix = pytest.importorskip("astropy_healpix", reason="astropy-healpix is not installed (pip install -e '.[test]')")
    import astropy.units as u

    from helios.ingest import IngestOptions
    from helios.motion import HIPPARCOS_EPOCH

    table = pd.read_csv(REPO / "data" / "hipparcos2_hp7.csv.gz")
    pixel = astropy_healpix.lonlat_to_healpix(table["ra"].to_numpy() * u.deg, table["dec"].to_numpy() * u.deg, 4096, order="nested")
    table["hip"] = table["source_id"]
    table["source_id"] = (pixel.astype(np.int64) << 35) + (1 << 32) + table["hip"]
    root = tmp_path_factory.mktemp("gaia_like")
    table.drop(columns="hip").to_csv(root / "gaia_like.csv", index=False)
    build([{"kind": "file", "path": str(root / "gaia_like.csv")}], root / "universe", IngestOptions(ref_epoch=HIPPARCOS_EPOCH))
    return root / "universe", dict(zip(table["source_id"], table["hip"]))
