"""Give each concurrent training job a GPU slot on a workstation: which device, and at most S jobs on each.

Snakemake's ``gpu`` resource bounds how many GPU jobs run at once but does not
say which device each should use (it sets no CUDA_VISIBLE_DEVICES locally).
A job claims a slot by taking an exclusive lock on one of
``gpus x slots_per_gpu`` lock files and uses that GPU until it exits; the
operating system releases the lock even when the job is killed.  With one GPU
the slots still cap the jobs sharing it.  The lock files live on the node
(default: a directory in the system's temporary directory), never on a
shared file system where ``flock`` may not work.  Under SLURM the scheduler
assigns each job its GPU: no locks, device 0 of what the job sees.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from helios.errors import HeliosError
from helios.jobs import job_uses_cuda


def default_lock_dir() -> Path:
    """Where the slot locks live unless ``train_jobs.gpu_lock_dir`` says: node-local, one directory per user."""
    return Path(tempfile.gettempdir()) / f"helios-gpu-slots-{os.getuid()}"


def scheduler_assigned() -> bool:
    """Whether a cluster scheduler gave this job its GPUs (SLURM): then there is nothing to claim."""
    return "SLURM_JOB_ID" in os.environ


@contextlib.contextmanager
def claim_gpu(lock_dir: str | Path | None, n_gpus: int, slots_per_gpu: int = 1, timeout_s: float = 3600.0) -> Iterator[int]:
    """Hold a GPU slot for the duration of the block; yields the device index (0 without GPUs or under SLURM)."""
    if n_gpus == 0 or scheduler_assigned():
        yield 0
        return
    lock_dir = Path(lock_dir) if lock_dir is not None else default_lock_dir()
    deadline = time.monotonic() + timeout_s
    try:
        lock_dir.mkdir(parents=True, exist_ok=True)
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
                    except OSError:
                        handle.close()
                        raise
                    try:
                        yield gpu
                    finally:
                        fcntl.flock(handle, fcntl.LOCK_UN)
                        handle.close()
                    return
            if time.monotonic() > deadline:
                raise HeliosError(f"no free GPU slot in {lock_dir} after {timeout_s:.0f} s ({n_gpus} GPU(s) x {slots_per_gpu} slots all "
                                  "held by other jobs): raise train_jobs.gpu_wait_s, or run fewer jobs at once (--cores, --resources gpu=)")
            time.sleep(0.2)
    except OSError as exc:
        raise HeliosError(f"cannot take a GPU slot lock in {lock_dir} ({exc.strerror or exc}): the locks need a local file system "
                          "where flock works; set train_jobs.gpu_lock_dir to a directory on the node (e.g. under /tmp)") from None


def pin_device(index: int) -> str:
    """Make ``cuda:index`` the current device (before any CUDA work); says which, for the log."""
    import torch

    if not torch.cuda.is_available():
        return "no CUDA device"
    torch.cuda.set_device(index)
    return f"cuda:{index} of {torch.cuda.device_count()} visible GPU(s)"


def _driver() -> ctypes.CDLL | None:
    """The CUDA driver library, initialised; None where there is none (a machine without an NVIDIA driver)."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return None
    return cuda if cuda.cuInit(0) == 0 else None


class GpuSlot:
    """A training job's GPU: claimed, and its CUDA context created, in a background thread.

    Creating a CUDA context takes ~0.2 s alone but about 2 s when a fan-out of
    jobs starts at once or while other jobs hold the GPU (BENCHMARKS.md), and
    importing PyTorch takes as long again.  Started before ``import torch``, the claim and
    the driver's context creation (which releases the GIL) overlap the imports;
    PyTorch later finds the primary context made and uses it.  Use as a context
    manager around the job; :meth:`device` waits for the thread.
    """

    def __init__(self, lock_dir: str | Path | None, slots_per_gpu: int, timeout_s: float = 3600.0, wanted: bool = True) -> None:
        self._claim = contextlib.ExitStack()
        self._device: int | None = None
        self._error: BaseException | None = None
        self.wanted = wanted  # False: the job was given no GPU and claims none
        self.timings: dict[str, float] = {}  # seconds each step of the background thread took (for the log)
        self._thread = threading.Thread(target=self._prepare, args=(lock_dir, slots_per_gpu, timeout_s), daemon=True)
        self._thread.start()

    def _prepare(self, lock_dir: str | Path | None, slots_per_gpu: int, timeout_s: float) -> None:
        if not self.wanted:
            return
        try:
            started = time.perf_counter()
            cuda = _driver()
            count = ctypes.c_int(0)
            if cuda is not None and cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
                count.value = 0
            self.timings["driver init"] = time.perf_counter() - started
            self._device = self._claim.enter_context(claim_gpu(lock_dir, count.value, slots_per_gpu, timeout_s))
            self.timings["slot claim"] = time.perf_counter() - started - self.timings["driver init"]
            if count.value > 0:
                device, context = ctypes.c_int(), ctypes.c_void_p()
                if cuda.cuDeviceGet(ctypes.byref(device), self._device) == 0:
                    cuda.cuDevicePrimaryCtxRetain(ctypes.byref(context), device)  # kept for the process's life
                    self.timings["context"] = time.perf_counter() - started - sum(self.timings.values())
        except BaseException as exc:  # handed to the main thread by device()
            self._error = exc

    def device(self) -> int:
        """The claimed GPU's index (0 without GPUs), once the thread is done."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._device or 0

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join()
        self._claim.close()


@contextlib.contextmanager
def training_slot(slot: GpuSlot, backend: str, logger: logging.Logger, cuda_extensions: str | Path | None = None,
                  startup_timing: bool = False, cuda: bool | None = None) -> Iterator[int]:
    """A training job's device: wait for its slot, make it current, load the CUDA extensions and the backend.

    ``cuda_extensions``: the ``build_cuda_extensions`` report whose libraries to load (on the claimed
    device: their fingerprint holds its compute capability); ``startup_timing``: log the job's start-up by
    phase (``helios.startup``); ``cuda``: as :func:`helios.seed.render.resolve_backend` takes it.
    """
    from helios import startup
    from helios.seed.accel.cuda_extensions import use_recorded_file
    from helios.seed.render import resolve_backend

    with slot:
        device = slot.device()
        startup.mark("GPU slot and context wait")
        if cuda is not False:
            if startup_timing:
                logger.info("in the background meanwhile: %s", ", ".join(f"{step} {seconds:.2f} s" for step, seconds in slot.timings.items()))
            logger.info("GPU slot: %s", pin_device(device))
            startup.mark("CUDA runtime")
            if cuda_extensions is not None:
                use_recorded_file(cuda_extensions, logger)
                startup.mark("CUDA libraries import")
        resolve_backend(backend, cuda)  # CUDA and gsplat loaded now: the start-up figure includes them
        startup.mark(f"{backend} backend load")
        if startup_timing:
            startup.log_startup(logger)
        yield device


class TrainingJob:
    """A workflow training job's GPU side: its slot claimed while PyTorch imports, then the device around its training.

    ``settings``: the config's ``train_jobs:``; ``gpus``: the GPUs the job was given (its ``gpu`` resource);
    ``threads``: its CPU threads; ``cuda_extensions``: the ``build_cuda_extensions`` report.
    """

    def __init__(self, settings: dict, gpus: int, threads: int, cuda_extensions: str | Path, logger: logging.Logger) -> None:
        self.settings, self.gpus, self.cuda_extensions, self.logger = settings, gpus, cuda_extensions, logger
        self.slot = GpuSlot(settings["gpu_lock_dir"], settings["slots_per_gpu"], settings["gpu_wait_s"], wanted=gpus > 0)
        os.environ["TORCH_EXTENSIONS_DIR"] = os.path.abspath(settings["extensions_dir"])
        import torch

        from helios import startup

        startup.mark("PyTorch import")
        torch.set_num_threads(threads)

    @contextlib.contextmanager
    def device(self, backend: str) -> Iterator[bool]:
        """Around the training: yields whether it uses CUDA (hand it on as ``cuda=``)."""
        cuda = job_uses_cuda(self.gpus, self.settings["cpu_fallback"], self.logger)
        with training_slot(self.slot, backend, self.logger, self.cuda_extensions, self.settings["startup_timing"], cuda):
            yield cuda
