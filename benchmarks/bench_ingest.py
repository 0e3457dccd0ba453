"""Ingest benchmark: catalogue CSV -> per-cell parquet, against a naive pandas.read_csv.

    python benchmarks/bench_ingest.py --rows 1000000 10000000 --repeats 3

For each row count it writes a Gaia-Archive-style CSV (the synthetic sky plus
the usual astrometry columns, 13 columns, empty fields for missing values)
into a scratch directory, then runs, alternately and each in a fresh child
process so peak RSS is measured per run:

* ``helios``: ``ingest_file`` + ``build_universe`` (the workflow's two steps:
  stream, filter, convert, write one parquet per cell, index and summary);
* ``pandas``: ``pandas.read_csv`` of the same file into one DataFrame (read
  only, no conversion or output), the naive approach.

It prints medians of wall time, rows/s and peak RSS, and their ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

EXTRA = ("pmra", "pmdec", "radial_velocity", "phot_bp_mean_mag", "phot_rp_mean_mag", "ruwe")


def write_catalogue(path: Path, rows: int, seed: int = 1) -> None:
    """A Gaia Archive style CSV of ``rows`` synthetic stars."""
    from helios.catalog import synthetic_batches

    rng = np.random.default_rng(seed)
    options = pacsv.WriteOptions(include_header=True)
    with pacsv.CSVWriter(path, _schema(), write_options=options) as writer:
        for batch in synthetic_batches(rows, seed):
            n = batch.num_rows
            columns = {name: batch.column(name) for name in batch.schema.names}
            g = columns["phot_g_mean_mag"].to_numpy()
            bp_rp = columns["bp_rp"].to_numpy()
            extra = {
                "pmra": rng.normal(0, 20, n),
                "pmdec": rng.normal(0, 20, n),
                "radial_velocity": pa.array(rng.normal(0, 30, n), mask=rng.random(n) >= 0.2),  # mostly missing
                "phot_bp_mean_mag": g + 0.4 * bp_rp,
                "phot_rp_mean_mag": g - 0.6 * bp_rp,
                "ruwe": rng.uniform(0.8, 1.4, n),
            }
            arrays = [columns[name] if name in columns else pa.array(extra[name]) for name in _schema().names]
            writer.write_table(pa.Table.from_arrays(arrays, schema=_schema()))  # nulls become empty fields


def _schema() -> pa.Schema:
    names = ["source_id", "ra", "dec", "parallax", "parallax_error", "phot_g_mean_mag", "bp_rp", *EXTRA]
    return pa.schema([(n, pa.int64() if n == "source_id" else pa.float64()) for n in names])


def run_helios(csv: Path, out: Path) -> int:
    from helios.grid import Grid
    from helios.ingest import IngestOptions, ingest_file
    from helios.partition import build_universe

    ingest_file(csv, out / "part.parquet", out / "part.json", IngestOptions())
    index = build_universe(
        [out / "part.parquet"], [out / "part.json"], Grid(),
        summary_path=out / "ingest_summary.json",
        cells_dir=out / "universe" / "cells", index_path=out / "universe" / "index.json",
    )
    return index["star_count"]


def run_pandas(csv: Path) -> int:
    import pandas as pd

    return len(pd.read_csv(csv))


def child(kind: str, csv: Path, out: Path) -> tuple[float, float]:
    """Run one measurement in a fresh process; return (seconds, peak RSS MiB)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind, str(csv), str(out)])
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{kind} run failed with status {status}")
    return seconds, usage.ru_maxrss / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scratch", default=None, help="directory for the generated CSV (default: a temp dir)")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, csv, out = args.child
        run_helios(Path(csv), Path(out)) if kind == "helios" else run_pandas(Path(csv))
        return

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, pyarrow {pa.__version__}")
    scratch = Path(tempfile.mkdtemp(prefix="helios-bench-", dir=args.scratch))
    try:
        rows_line = []
        for rows in args.rows:
            csv = scratch / f"gaia_{rows}.csv"
            t0 = time.perf_counter()
            write_catalogue(csv, rows)
            size_mb = csv.stat().st_size / 1e6
            print(f"\n{rows:,} rows, {size_mb:,.0f} MB CSV (written in {time.perf_counter() - t0:.0f} s)")
            results: dict[str, list[tuple[float, float]]] = {"helios": [], "pandas": []}
            for repeat in range(args.repeats):
                for kind in ("helios", "pandas"):
                    seconds, rss = child(kind, csv, scratch / "out")
                    results[kind].append((seconds, rss))
                    print(f"  run {repeat + 1} {kind:6s}: {seconds:6.1f} s  {rows / seconds:12,.0f} rows/s  peak RSS {rss:7,.0f} MiB", flush=True)
            med = {k: (statistics.median(s for s, _ in v), statistics.median(r for _, r in v)) for k, v in results.items()}
            for kind, (seconds, rss) in med.items():
                print(f"  median {kind:6s}: {seconds:6.1f} s  {rows / seconds:12,.0f} rows/s  peak RSS {rss:7,.0f} MiB")
            ratio_t = med["pandas"][0] / med["helios"][0]
            ratio_m = med["pandas"][1] / med["helios"][1]
            print(f"  helios vs pandas.read_csv: {ratio_t:.2f}x the speed, {ratio_m:.2f}x less peak memory")
            rows_line.append((rows, size_mb, med, ratio_t, ratio_m))
            csv.unlink()
        print("\n| rows | CSV MB | helios s | helios rows/s | helios peak RSS MiB | pandas.read_csv s | pandas peak RSS MiB "
              "| speed ratio | memory ratio |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for rows, size_mb, med, ratio_t, ratio_m in rows_line:
            print(f"| {rows:,} | {size_mb:,.0f} | {med['helios'][0]:.1f} | {rows / med['helios'][0]:,.0f} | {med['helios'][1]:,.0f} | "
                  f"{med['pandas'][0]:.1f} | {med['pandas'][1]:,.0f} | {ratio_t:.2f}x | {ratio_m:.2f}x |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
