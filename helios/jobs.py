"""What every entry point (workflow job or command) shares: logging to a file or stderr, user errors as one
paragraph, and whether a job given a GPU uses CUDA."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from helios import startup
from helios.errors import HeliosError

LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def configure_logging(log_path: str | None = None, level: int = logging.INFO) -> logging.Logger:
    """Send helios log records to ``log_path`` (or stderr) and return the helios logger."""
    startup.note_code_started()
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


def job_uses_cuda(gpus_given: int, cpu_fallback: bool, logger: logging.Logger) -> bool:
    """Whether a workflow job trains with CUDA: only when it was given a GPU, and then it must have one.

    Nothing here depends on the machine that submitted the job.  A job given a GPU that finds no CUDA
    fails with a clear error, unless ``train_jobs.cpu_fallback`` lets it train on the CPU (said in its log).
    """
    if gpus_given <= 0:
        return False
    import torch

    if torch.cuda.is_available():
        return True
    if cpu_fallback:
        logger.warning("this job was given %d GPU(s) but CUDA is not available here: training on the CPU (train_jobs.cpu_fallback)",
                       gpus_given)
        return False
    raise HeliosError(f"this job was given {gpus_given} GPU(s) but CUDA is not available here (no driver, or no device visible): "
                      "run it where CUDA works, set train_jobs.gpus: 0 to train on CPUs, or train_jobs.cpu_fallback: true")
