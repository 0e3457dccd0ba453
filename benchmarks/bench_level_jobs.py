"""Level jobs one per cell against batched, the whole training phase of the workflow, side by side.

    python benchmarks/bench_level_jobs.py --universe DIR --out DIR [--batch-cells 1 32] [--cores 2]
        [--select-neighbors 0] [--iterations 50] [--json FILE]

Runs the real workflow (``snakemake --cores N``) up to ``trained/index.json`` on a built universe
(``universe_dir``; e.g. the full Hipparcos-2 catalogue on the fine grid of docs/levels.md, "Cell
size"), once per ``train_jobs.batch_cells`` value, each from an empty output directory, with the
cells that hold a landmark (± ``--select-neighbors``) selected.  Prints the wall time, the number of
level jobs, and checks that every mode wrote the same level tables, byte for byte.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def run_mode(universe: Path, out: Path, batch_cells: int, args: argparse.Namespace) -> dict:
    work = out / f"batch_cells_{batch_cells}"
    work.mkdir(parents=True, exist_ok=False)
    config = {"output_dir": "results", "universe_dir": str(universe),
              "select": {"mode": "landmarks", "neighbors": args.select_neighbors},
              "levels": {"iterations": args.iterations}, "train_jobs": {"batch_cells": batch_cells, "threads": 1}}
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work), "--cores", str(args.cores),
               "--configfile", str(REPO / "config" / "config.yaml"), str(work / "config.yaml"), "--quiet", "rules", "--",
               "results/trained/index.json"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"batch_cells {batch_cells}: the workflow failed:\n{done.stderr[-3000:]}")
    trained = json.loads((work / "results" / "trained" / "index.json").read_text())
    tables = {cell["id"]: hashlib.sha256((work / "results" / "trained" / cell["file"]).read_bytes()).hexdigest() for cell in trained["cells"]}
    jobs = len(list((work / "logs" / "levels").glob("*.log")))  # one log per level job
    return {"batch_cells": batch_cells, "seconds": seconds, "level_jobs": jobs, "cells": trained["cell_count"],
            "levels": sum(len(cell["levels"]) for cell in trained["cells"]), "gaussians": trained["gaussian_count"], "tables": tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--universe", required=True)
    parser.add_argument("--out", required=True, help="an empty or missing directory for the runs")
    parser.add_argument("--batch-cells", nargs="+", type=int, default=[1, 32])
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--select-neighbors", type=int, default=0)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--json")
    args = parser.parse_args()
    universe, out = Path(args.universe).resolve(), Path(args.out).resolve()
    rows = []
    print(f"{'batch_cells':>11s} {'cells':>6s} {'level jobs':>10s} {'levels':>7s} {'wall s':>8s}", flush=True)
    for batch_cells in args.batch_cells:
        rows.append(run_mode(universe, out, batch_cells, args))
        row = rows[-1]
        print(f"{batch_cells:11d} {row['cells']:6d} {row['level_jobs']:10d} {row['levels']:7d} {row['seconds']:8.1f}", flush=True)
    same = all(row["tables"] == rows[0]["tables"] for row in rows)
    print(f"level tables identical in every mode: {same}; wall-time ratio {rows[0]['seconds'] / rows[-1]['seconds']:.2f}", flush=True)
    if args.json:
        machine = {"cpu_count": os.cpu_count(), "platform": platform.platform(), "cores": args.cores}
        Path(args.json).write_text(json.dumps({"machine": machine, "universe": str(universe.name), "iterations": args.iterations,
                                               "select_neighbors": args.select_neighbors, "identical_tables": same,
                                               "rows": [{k: v for k, v in row.items() if k != "tables"} for row in rows]}, indent=1))
    if not same:
        raise SystemExit("the modes wrote different level tables")


if __name__ == "__main__":
    main()
