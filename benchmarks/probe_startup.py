"""Where a training job's start-up goes, alone and with many jobs starting at once.

    python benchmarks/probe_startup.py --jobs 1 16 --rounds 2     # on a CUDA machine

Starts N processes at the same moment; each does what a training job does
before its first training step (import PyTorch and HELIOS, initialise CUDA,
load gsplat's and the fused SSIM's CUDA libraries) and reports when each phase
ended, counted from its launch.  Three ways of starting, alternated in every
round: ``jit`` (PyTorch's JIT builder: hash, lock, ninja, import, as any
process that calls gsplat does); ``recorded`` (the libraries the preparation
rule recorded, imported directly: ``helios.extensions``); ``warm`` (recorded
libraries, and the GPU claimed and its CUDA context created in a thread while
PyTorch is imported: ``helios.gpu.GpuSlot``, what a workflow job does).  The
extensions are built (or loaded) once first, and their manifest recorded.
Prints the median of every phase per mode and N.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, sys, time
launched = float(sys.argv[1]); marks = {"python": time.time()}
if sys.argv[3] == "warm":
    from helios.gpu import GpuSlot
    slot = GpuSlot(sys.argv[4], 64)
import torch
marks["import torch"] = time.time()
import helios.cell, helios.gpu, helios.grid, helios.train, helios.train_batch
marks["import helios"] = time.time()
if sys.argv[2]:
    from helios.extensions import use_recorded
    outcome = use_recorded(json.loads(open(sys.argv[2]).read()))
    assert all(v.startswith("loaded") for v in outcome.values()), outcome
marks["libraries found"] = time.time()
torch.cuda.set_device(slot.device() if sys.argv[3] == "warm" else 0); torch.zeros(1, device="cuda")
marks["CUDA context"] = time.time()
from helios.render import resolve_backend
resolve_backend("gsplat")
marks["gsplat loaded"] = time.time()
from helios.loss import resolve_ssim
assert resolve_ssim("auto", torch.device("cuda"))[0] == "fused"
marks["fused SSIM loaded"] = time.time()
print(json.dumps({k: v - launched for k, v in marks.items()}))
"""


def run_round(n: int, manifest: str, mode: str, lock_dir: str) -> list[dict[str, float]]:
    launched = time.time()
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, repr(launched), manifest, mode, lock_dir], stdout=subprocess.PIPE, text=True)
             for _ in range(n)]
    rows = []
    for proc in procs:
        out, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a child failed (exit {proc.returncode})")
        rows.append(json.loads(out.strip().splitlines()[-1]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    from gsplat.cuda._backend import _C

    from helios.extensions import record
    from helios.fused_ssim import extension

    with tempfile.TemporaryDirectory() as scratch:
        manifest = Path(scratch) / "libraries.json"
        manifest.write_text(json.dumps(record({"gsplat": _C, "fused_ssim": extension()})))
        results: dict[tuple[int, str], list[dict[str, float]]] = {}
        for _ in range(args.rounds):
            for n in args.jobs:
                for mode, path in (("jit", ""), ("recorded", str(manifest)), ("warm", str(manifest))):
                    results.setdefault((n, mode), []).extend(run_round(n, path, mode, scratch))
    phases = list(next(iter(results.values()))[0])
    print(f"{'jobs':>4} {'mode':>9} " + " ".join(f"{p:>17}" for p in phases) + "   (median s since launch)")
    for (n, mode), rows in results.items():
        print(f"{n:>4} {mode:>9} " + " ".join(f"{statistics.median(r[p] for r in rows):>17.2f}" for p in phases)
              + f"   max total {max(r[phases[-1]] for r in rows):.2f}")


if __name__ == "__main__":
    main()
