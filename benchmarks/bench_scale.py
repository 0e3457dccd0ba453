"""The workflow at scale on this machine: a synthetic Milky Way of N stars in K parts, run by Snakemake, with
every job's wall time and peak memory from Snakemake's ``benchmark:`` files (``{output_dir}/benchmarks/``).

    python benchmarks/bench_scale.py --stars 10000000 --parts 10 --target universe --out scale10m

``--target universe`` runs ingest and the partition (to ``universe/index.json``); ``--target site`` goes on to
select, the selected cells' levels, the packs, the validation and the site (all but the report); ``--target all``
runs the whole workflow.  Prints a table per rule (jobs,
summed and longest wall time, the largest peak RSS of a job) and writes it as JSON beside the run.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
#: Benchmark folders of the rules with a wildcard (a file per job) -> the rule.
WILDCARD_FOLDERS = {"ingest": "ingest_part", "partition/count": "partition_count", "partition/split": "partition_split",
                    "partition/reduce": "partition_reduce", "levels": "train_levels", "train": "train_splats", "pack": "pack_shard",
                    "validate": "validate_shard", "report": "report_shard"}


def run(stars: int, parts: int, target: str, out: Path, cores: int, extra: dict) -> float:
    out.mkdir(parents=True, exist_ok=True)
    config = {"output_dir": str(out / "results"),
              "catalog": {"files": [], "synthetic": {"stars": stars, "parts": parts, "seed": 1, "model": "milky-way"}, "ref_epoch": 2016.0},
              **extra}
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    results = out / "results"
    targets = {"universe": [str(results / "universe" / "index.json")],
               "site": [str(results / "validation.json"), str(results / "site")], "all": []}[target]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "snakemake", *targets, "-s", str(REPO / "Snakefile"), "--directory", str(out),
                    "--cores", str(cores), "--quiet", "rules", "--configfile", str(REPO / "config" / "config.yaml"),
                    str(out / "config.yaml")], check=True, cwd=out)
    return time.perf_counter() - started


def per_rule(results: Path) -> dict[str, dict[str, float]]:
    """Rule -> jobs, total and longest wall time (s), the largest peak RSS of a job (MB), from the benchmark files."""
    rules: dict[str, dict[str, float]] = defaultdict(lambda: {"jobs": 0, "total_s": 0.0, "max_s": 0.0, "max_rss_mb": 0.0})
    for path in sorted((results / "benchmarks").rglob("*.tsv")):
        relative = path.relative_to(results / "benchmarks").with_suffix("")
        folder = relative.parent.as_posix()
        rule = WILDCARD_FOLDERS.get(folder, relative.as_posix().replace("/", "_"))
        with open(path) as handle:
            row = next(csv.DictReader(handle, delimiter="\t"))
        entry = rules[rule]
        entry["jobs"] += 1
        entry["total_s"] += float(row["s"])
        entry["max_s"] = max(entry["max_s"], float(row["s"]))
        rss = float(row["max_rss"]) if row["max_rss"] not in ("", "-", "NA") else 0.0
        entry["max_rss_mb"] = max(entry["max_rss_mb"], rss)
    return dict(rules)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stars", type=int, required=True)
    parser.add_argument("--parts", type=int, required=True)
    parser.add_argument("--target", choices=("universe", "site", "all"), default="universe")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--config", type=yaml.safe_load, default={}, help="more config, as YAML (e.g. '{grid: {max_stars: 200000}}')")
    args = parser.parse_args()
    wall = run(args.stars, args.parts, args.target, args.out, args.cores, args.config)
    rules = per_rule(args.out / "results")
    index = json.loads((args.out / "results" / "universe" / "index.json").read_text())
    result = {"stars": args.stars, "parts": args.parts, "target": args.target, "cores": args.cores, "wall_s": round(wall, 1),
              "cells": index["cell_count"], "shards": len(index["shards"]), "largest_cell": max(c["star_count"] for c in index["cells"]),
              "rules": rules}
    (args.out / "scale.json").write_text(json.dumps(result, indent=1))
    print(f"{args.stars:,} stars in {args.parts} parts: {wall:.0f} s wall, {result['cells']} cells in {result['shards']} shards "
          f"(largest {result['largest_cell']:,} stars)")
    print(f"{'rule':24} {'jobs':>5} {'total s':>9} {'max s':>8} {'max RSS MB':>11}")
    for rule, entry in rules.items():
        print(f"{rule:24} {entry['jobs']:>5} {entry['total_s']:>9.1f} {entry['max_s']:>8.1f} {entry['max_rss_mb']:>11.0f}")


if __name__ == "__main__":
    main()
