"""Snakemake's schedulers side by side on one config: the ILP solver against greedy, whole workflow runs.

    python benchmarks/bench_scheduler.py --out DIR [--configfile .test/config.yaml] [--repeats 3] [--cores 2]
        [--json FILE]

Runs the real workflow (``snakemake --cores N --scheduler S``) from an empty directory, alternating the schedulers,
``--repeats`` times each; prints each run's wall time and the CPU time of Snakemake and its jobs (the children's
rusage), their medians and ratio, and checks that both schedulers wrote the same pack and trained index, byte for byte.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEDULERS = ("ilp", "greedy")
COMPARED = ("trained/index.json", "trained/pack/index.json", "trained/pack/shard-0000.pack.bin")


def run(configfile: Path, work: Path, scheduler: str, cores: int) -> dict:
    work.mkdir(parents=True)
    command = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(work), "--configfile",
               str(configfile.resolve()), "--cores", str(cores), "--scheduler", scheduler, "all"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{scheduler} run in {work} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"scheduler": scheduler, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "work": work.name}  # no path of the machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="an empty or new directory for the runs")
    parser.add_argument("--configfile", type=Path, default=REPO / ".test" / "config.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    runs = []
    for repeat in range(args.repeats):
        for scheduler in SCHEDULERS if repeat % 2 == 0 else reversed(SCHEDULERS):
            runs.append(run(args.configfile, args.out / f"{scheduler}-{repeat}", scheduler, args.cores))
            print(json.dumps(runs[-1]), flush=True)
    first = args.out / runs[0]["work"] / "results"
    for other in runs[1:]:
        for name in COMPARED:
            if (args.out / other["work"] / "results" / name).read_bytes() != (first / name).read_bytes():
                sys.exit(f"{name} differs between {runs[0]['work']} and {other['work']}")
    summary = {s: {key: statistics.median(r[key] for r in runs if r["scheduler"] == s) for key in ("wall_s", "cpu_s")} for s in SCHEDULERS}
    summary["greedy/ilp"] = {key: round(summary["greedy"][key] / summary["ilp"][key], 3) for key in ("wall_s", "cpu_s")}
    configfile = args.configfile.resolve()
    named = str(configfile.relative_to(REPO)) if configfile.is_relative_to(REPO) else configfile.name
    record = {"configfile": named, "cores": args.cores, "repeats": args.repeats, "python": platform.python_version(),
              "runs": runs, "medians": summary, "same_bytes": list(COMPARED)}
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
