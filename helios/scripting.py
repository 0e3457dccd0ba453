"""Shared plumbing for entry points: logging to a file or stderr, user errors."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from pathlib import Path
from typing import Iterator

from helios.errors import HeliosError

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"
_code_started: float | None = None  # when a job's own code began (its first configure_logging)
_startup_marks: list[tuple[str, float]] = []  # (phase, when it ended) for the start-up log line


def configure_logging(log_path: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send helios log records to ``log_path`` (or stderr) and return the helios logger."""
    global _code_started
    _code_started = _code_started or time.time()
    logger = logging.getLogger("helios")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler: logging.Handler = logging.FileHandler(log_path, mode="w") if log_path else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return logger


@contextlib.contextmanager
def user_errors(log_file_logger: logging.Logger | None = None, prog: str = "helios") -> Iterator[None]:
    """Turn a :class:`HeliosError` into one paragraph on stderr and exit 1.

    With a logger that writes to a job's log file, the message goes there too.
    """
    try:
        yield
    except HeliosError as exc:
        if log_file_logger is not None:
            log_file_logger.error("%s", exc)
        print(f"{prog}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


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


def mark_startup(phase: str) -> None:
    """Note that a start-up phase (named by what it did) ends now; :func:`log_startup` reports each phase's share."""
    _startup_marks.append((phase, time.time()))


def log_startup(logger: logging.Logger) -> None:
    """Log a job's start-up cost (process start, imports, CUDA and gsplat loading) before its work begins.

    The line ends with the phases: the time before the job's code ran
    (interpreter, Snakemake's script preamble) and each :func:`mark_startup`.
    """
    started = process_started()
    if started is None:
        return
    now = time.time()
    marks = ([("interpreter and Snakemake preamble", _code_started)] if _code_started else []) + _startup_marks
    phases, previous = [], started
    for phase, ended in marks:
        phases.append(f"{phase} {ended - previous:.2f}")
        previous = ended
    logger.info("job start-up: %.2f s from process start to training start%s", now - started, f" ({', '.join(phases)})" if phases else "")
    _startup_marks.clear()  # a later job in the same process starts its own count
