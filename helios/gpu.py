"""Give each concurrent training job its own GPU on a multi-GPU workstation.

Snakemake's ``gpu`` resource bounds how many GPU jobs run at once but does not
say which device each should use (it sets no CUDA_VISIBLE_DEVICES locally).
A job claims a slot by taking an exclusive lock on one of
``gpus x slots_per_gpu`` lock files in a shared directory and uses that GPU
until it exits; the operating system releases the lock even when the job is
killed.  Under SLURM (or whenever CUDA_VISIBLE_DEVICES narrows the view to one
device) the claim is trivially device 0.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def claim_gpu(lock_dir: str | Path, n_gpus: int, slots_per_gpu: int = 1, timeout_s: float = 3600.0) -> Iterator[int]:
    """Hold a GPU slot for the duration of the block; yields the device index."""
    if n_gpus <= 1:
        yield 0
        return
    lock_dir = Path(lock_dir)
    lock_dir.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    while True:
        # Fill GPUs breadth-first: slot 0 of every GPU before slot 1 of any.
        for slot in range(slots_per_gpu):
            for gpu in range(n_gpus):
                handle = open(lock_dir / f"gpu{gpu}.slot{slot}.lock", "a")
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    yield gpu
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"no free GPU slot in {lock_dir} after {timeout_s:.0f} s")
        time.sleep(0.2)


def visible_gpu_count() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def pin_device(index: int) -> str:
    """Make ``cuda:index`` the current device (before any CUDA work); says which, for the log."""
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device"
    torch.cuda.set_device(index)
    return f"cuda:{index} of {torch.cuda.device_count()} visible GPU(s)"


@contextlib.contextmanager
def training_slot(lock_dir: str | Path, slots_per_gpu: int, backend: str, logger: logging.Logger) -> Iterator[int]:
    """A training job's device: claim a GPU slot, make it current, load the backend, log the job's start-up."""
    from helios.render import resolve_backend
    from helios.scripting import log_startup

    with claim_gpu(lock_dir, visible_gpu_count(), slots_per_gpu) as device:
        logger.info("GPU slot: %s", pin_device(device))
        resolve_backend(backend)  # CUDA and gsplat loaded now: the start-up figure includes them
        log_startup(logger)
        yield device
