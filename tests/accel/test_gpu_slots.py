import multiprocessing
import subprocess
import sys
import time

import pytest
import torch

from helios.accel.gpu_slots import GpuSlot, claim_gpu


def test_single_gpu_needs_no_lock(tmp_path):
    with claim_gpu(tmp_path / "locks", 1) as device:
        assert device == 0
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
    monkeypatch.setattr("helios.accel.gpu_slots._driver", lambda: None)  # as on a machine without an NVIDIA driver
    with GpuSlot(tmp_path / "locks", 4) as slot:
        assert slot.device() == 0
        assert list(slot.timings) == ["driver init", "slot claim"]  # no context to make
    assert not (tmp_path / "locks").exists()


def test_a_gpu_slot_hands_its_error_to_the_job(tmp_path, monkeypatch):
    def broken():
        raise RuntimeError("driver exploded")

    monkeypatch.setattr("helios.accel.gpu_slots._driver", broken)
    slot = GpuSlot(tmp_path, 1)
    with pytest.raises(RuntimeError, match="driver exploded"):
        slot.device()


PRIMARY_CONTEXT_STATE = """
import ctypes, sys
from helios.accel.gpu_slots import GpuSlot
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
