import re
import subprocess
import sys
import time

import pytest

from helios import jobs, startup


def test_startup_line_reports_each_phase_in_order(tmp_path, monkeypatch):
    monkeypatch.setattr(startup, "_marks", [])
    log = tmp_path / "job.log"
    logger = jobs.configure_logging(str(log))
    startup.mark("imports")
    time.sleep(0.05)
    startup.mark("backend load")
    startup.log_startup(logger)
    line = log.read_text()
    match = re.search(r"job start-up: ([\d.]+) s from process start to training start \((.*)\)", line)
    assert match, line
    phases = [p.rsplit(" ", 1) for p in match[2].split(", ")]
    assert [name for name, _ in phases] == ["interpreter and Snakemake preamble", "imports", "backend load"]
    seconds = [float(value) for _, value in phases]
    assert seconds[2] >= 0.05
    assert abs(sum(seconds) - float(match[1])) <= 0.03  # the phases add up to the total (each rounded to 0.01 s)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_process_start_is_read_to_the_tick():
    """psutil's create_time read 0.53 s early on the 2-core VM (whole-second boot time)."""
    spawned = time.time()
    code = "import time; now = time.time(); from helios.startup import process_started; print(now, process_started())"
    now, started = map(float, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert spawned - 0.03 <= started <= now  # one 10 ms tick of truncation, plus clock reads


def test_the_startup_clock_needs_no_pytorch():
    """A training job starts its clock and its GPU claim before PyTorch is imported."""
    code = "import sys, helios.jobs, helios.startup, helios.seed.accel.gpu_slots; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
