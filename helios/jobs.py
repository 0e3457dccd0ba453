"""What every entry point (workflow job or command) shares: logging to a file or stderr, user errors as one paragraph."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from helios.accel import startup
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
