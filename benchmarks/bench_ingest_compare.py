"""Ingest side by side for two checkouts of HELIOS (e.g. before and after a change), alternating.

    git worktree add ../helios-old COMMIT
    python benchmarks/bench_ingest_compare.py --rows 10000000 --old ../helios-old --new . [--repeats 3]

Writes one Gaia-Archive-style CSV (``bench_ingest.write_catalogue``), then runs ``bench_ingest.py
--child helios`` (``ingest_file`` + ``build_universe``) from each checkout in turn, each in a fresh
process whose ``PYTHONPATH`` is that checkout, and prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_ingest import write_catalogue  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--old", required=True, help="a checkout of the code before")
    parser.add_argument("--new", default=".", help="a checkout of the code after (default: this one)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"old": Path(args.old).resolve(), "new": Path(args.new).resolve()}
    seconds: dict[str, list[float]] = {name: [] for name in checkouts}
    with tempfile.TemporaryDirectory() as scratch:
        csv = Path(scratch) / "gaia.csv"
        write_catalogue(csv, args.rows)
        for _ in range(args.repeats):
            for name, root in checkouts.items():
                out = Path(scratch) / "out"
                shutil.rmtree(out, ignore_errors=True)
                out.mkdir()
                started = time.perf_counter()
                done = subprocess.run([sys.executable, str(root / "benchmarks" / "bench_ingest.py"), "--child", "helios", str(csv), str(out)],
                                      env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True)
                if done.returncode:
                    raise SystemExit(f"{name} ({root}) failed:\n{done.stderr[-2000:]}")
                seconds[name].append(time.perf_counter() - started)
                print(f"{name}: {seconds[name][-1]:.2f} s", flush=True)
    for name, runs in seconds.items():
        print(f"{name}: median {statistics.median(runs):.2f} s (runs {', '.join(f'{t:.2f}' for t in runs)})")
    print(f"new / old: {statistics.median(seconds['new']) / statistics.median(seconds['old']):.2f}")


if __name__ == "__main__":
    main()
