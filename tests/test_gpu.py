import multiprocessing
import time

from helios.gpu import claim_gpu


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
