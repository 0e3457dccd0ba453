"""Median time of a CUDA call, as the probes measure it (imported by them; they run from this folder)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch


def median_ms(once: Callable[[], object], calls: int = 20, rounds: int = 5, warmup: int = 3) -> float:
    """Milliseconds per call of ``once``: the median over ``rounds`` of ``calls`` calls, synchronised around each round."""
    for _ in range(warmup):
        once()
    runs = []
    for _ in range(rounds):
        torch.cuda.synchronize()
        started = time.perf_counter()
        for _ in range(calls):
            once()
        torch.cuda.synchronize()
        runs.append(1000 * (time.perf_counter() - started) / calls)
    return statistics.median(runs)
