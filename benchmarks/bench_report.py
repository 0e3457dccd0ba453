"""The workflow's report step on a finished workflow output, timed in this process.

    python benchmarks/bench_report.py --results RESULTS [--repeats 3] [--json FILE]

RESULTS is a workflow output directory (``output_dir``: ``universe/``, ``trained/`` and
``validation.json``).  Each repeat writes the whole report (figures, curves, level renders,
``report.html``) to a scratch directory, as the ``report`` rule does; the median and every
time are printed.  To compare two versions of the code side by side, run this script from
each checkout in turn on the same RESULTS.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch

from helios.report import build_report
from helios.universe import read_trained_index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", required=True, type=Path, help="a workflow output directory")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    index_path = args.results / "trained" / "index.json"
    for needed in (index_path, args.results / "universe" / "index.json", args.results / "validation.json"):
        if not needed.is_file():
            parser.error(f"{needed}: missing; --results must be a finished workflow output directory")
    validation = json.loads((args.results / "validation.json").read_text(encoding="utf-8"))
    seconds = []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            build_report(read_trained_index(index_path), index_path.parent, args.results / "universe", Path(scratch), validation)
            seconds.append(time.perf_counter() - started)
        print(f"report: {seconds[-1]:.2f} s", flush=True)
    summary = {"results": str(args.results.name), "seconds": seconds, "median_s": statistics.median(seconds),
               "machine": {"platform": platform.platform(), "cpu_threads": torch.get_num_threads(), "torch": torch.__version__}}
    print(f"median of {args.repeats}: {summary['median_s']:.2f} s")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
