"""A training job's start-up cost by phase (a debug option: ``train_jobs.startup_timing``).

Every training job is a new Python process that imports PyTorch, claims a GPU
and creates a CUDA context before it trains; with many short jobs that cost
matters (BENCHMARKS.md).  Entry points call :func:`mark` at the end of each
phase; :func:`log_startup` writes one line with the total since the process
started and each phase's share.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

_code_started: float | None = None  # when a job's own code began (its first configure_logging)
_marks: list[tuple[str, float]] = []  # (phase, when it ended)


def note_code_started() -> None:
    """Remember when the job's own code began (the first call wins)."""
    global _code_started
    _code_started = _code_started or time.time()


def process_started() -> float | None:
    """When this process started (epoch seconds, to the kernel's 10 ms tick), or None where /proc is missing.

    Not psutil's ``create_time``: that adds the boot time from /proc/stat,
    which is whole seconds, so it reads up to 1 s early (0.53 s on one
    machine here, 0.01-1.0 s on the GPU machines), inflating every start-up.
    """
    try:
        after_name = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started_since_boot = int(after_name[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime
        return time.time() - (time.clock_gettime(time.CLOCK_BOOTTIME) - started_since_boot)
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def mark(phase: str) -> None:
    """Note that a start-up phase (named by what it did) ends now; :func:`log_startup` reports each phase's share."""
    _marks.append((phase, time.time()))


def log_startup(logger: logging.Logger) -> None:
    """Log a job's start-up cost (process start, imports, CUDA and gsplat loading) before its work begins.

    The line ends with the phases: the time before the job's code ran
    (interpreter, Snakemake's script preamble) and each :func:`mark`.
    """
    started = process_started()
    if started is None:
        return
    now = time.time()
    marks = ([("interpreter and Snakemake preamble", _code_started)] if _code_started else []) + _marks
    phases, previous = [], started
    for phase, ended in marks:
        phases.append(f"{phase} {ended - previous:.2f}")
        previous = ended
    logger.info("job start-up: %.2f s from process start to training start%s", now - started, f" ({', '.join(phases)})" if phases else "")
    _marks.clear()  # a later job in the same process starts its own count
