import errno
import fcntl
import multiprocessing
import subprocess
import sys
import tempfile
import time

import pytest
import torch

from helios.errors import HeliosError
from helios.seed.accel.gpu_slots import GpuSlot, claim_gpu, default_lock_dir


def test_one_gpu_is_shared_by_at_most_slots_per_gpu_jobs(tmp_path):
    """slots_per_gpu caps the jobs on a one-GPU workstation too (the third claim waits, then gives up clearly)."""
    with claim_gpu(tmp_path, 1, 2) as a, claim_gpu(tmp_path, 1, 2) as b:
        assert a == b == 0
        with pytest.raises(HeliosError, match="no free GPU slot .* after 0 s .*train_jobs.gpu_wait_s"), claim_gpu(tmp_path, 1, 2, timeout_s=0.1):
            pass
    with claim_gpu(tmp_path, 1, 2) as again:
        assert again == 0


def test_no_gpus_or_a_scheduler_needs_no_lock(tmp_path, monkeypatch):
    with claim_gpu(tmp_path / "locks", 0) as device:
        assert device == 0
    monkeypatch.setenv("SLURM_JOB_ID", "42")  # the scheduler gave this job its GPU
    with claim_gpu(tmp_path / "locks", 4, 1) as a, claim_gpu(tmp_path / "locks", 4, 1) as b:
        assert a == b == 0
    assert not (tmp_path / "locks").exists()


def test_locks_are_node_local_by_default_and_os_errors_are_clear(tmp_path, monkeypatch):
    assert str(default_lock_dir()).startswith(tempfile.gettempdir())
    with claim_gpu(None, 1) as device:
        assert device == 0 and (default_lock_dir() / "gpu0.slot0.lock").exists()

    def no_locks(handle, operation):
        raise OSError(errno.ENOLCK, "No locks available")  # as flock on some NFS and Lustre mounts

    monkeypatch.setattr(fcntl, "flock", no_locks)
    with pytest.raises(HeliosError, match="cannot take a GPU slot lock .*No locks available.*train_jobs.gpu_lock_dir"), claim_gpu(tmp_path, 1):
        pass


def test_a_job_given_no_gpu_claims_none(tmp_path):
    with GpuSlot(tmp_path / "locks", 1, wanted=False) as slot:
        assert slot.device() == 0 and slot.timings == {}
    assert not (tmp_path / "locks").exists()


def test_concurrent_claims_get_different_gpus(tmp_path):
    with claim_gpu(tmp_path, 2) as first, claim_gpu(tmp_path, 2) as second:
        assert {first, second} == {0, 1}
    with claim_gpu(tmp_path, 2) as again:
        assert again == 0  # released on exit


def test_slots_share_a_gpu_breadth_first(tmp_path):
    with claim_gpu(tmp_path, 2, 2) as a, claim_gpu(tmp_path, 2, 2) as b, claim_gpu(tmp_path, 2, 2) as c:
        assert [a, b, c] == [0, 1, 0]


def _hold(lock_dir, seconds, queue):
    with claim_gpu(lock_dir, 2) as device:
        queue.put(device)
        time.sleep(seconds)


def test_locks_work_across_processes_and_wait(tmp_path):
    queue = multiprocessing.get_context("spawn").Queue()
    ctx = multiprocessing.get_context("spawn")
    holders = [ctx.Process(target=_hold, args=(tmp_path, 1.0, queue)) for _ in range(2)]
    for p in holders:
        p.start()
    devices = {queue.get(timeout=30), queue.get(timeout=30)}
    assert devices == {0, 1}
    started = time.monotonic()
    with claim_gpu(tmp_path, 2) as device:
        assert device in (0, 1)
        assert time.monotonic() - started > 0.2  # had to wait for a holder to finish
    for p in holders:
        p.join()


def test_a_gpu_slot_without_gpus_is_device_0_and_takes_no_lock(tmp_path, monkeypatch):
    monkeypatch.setattr("helios.seed.accel.gpu_slots._driver", lambda: None)  # as on a machine without an NVIDIA driver
    with GpuSlot(tmp_path / "locks", 4) as slot:
        assert slot.device() == 0
        assert list(slot.timings) == ["driver init", "slot claim"]  # no context to make
    assert not (tmp_path / "locks").exists()


def test_a_gpu_slot_hands_its_error_to_the_job(tmp_path, monkeypatch):
    def broken():
        raise RuntimeError("driver exploded")

    monkeypatch.setattr("helios.seed.accel.gpu_slots._driver", broken)
    slot = GpuSlot(tmp_path, 1)
    with pytest.raises(RuntimeError, match="driver exploded"):
        slot.device()


PRIMARY_CONTEXT_STATE = """
import ctypes, sys
from helios.seed.accel.gpu_slots import GpuSlot
slot = GpuSlot(sys.argv[1], 2)
index = slot.device()
cuda = ctypes.CDLL("libcuda.so.1")
device, flags, active = ctypes.c_int(), ctypes.c_uint(), ctypes.c_int()
cuda.cuDeviceGet(ctypes.byref(device), index)
cuda.cuDevicePrimaryCtxGetState(device, ctypes.byref(flags), ctypes.byref(active))
assert "torch" not in sys.modules
import torch
torch.cuda.set_device(index)
print(index, active.value, torch.zeros(1, device="cuda").device, *slot.timings)
"""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_gpu_slot_makes_the_context_before_torch_is_imported(tmp_path):
    out = subprocess.run([sys.executable, "-c", PRIMARY_CONTEXT_STATE, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["0", "1", "cuda:0", "driver", "init", "slot", "claim", "context"]
