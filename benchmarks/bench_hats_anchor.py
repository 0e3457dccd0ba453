"""The partition against its anchor, hats-import (astronomy-commons), on the same star rows, side by side.

    python benchmarks/bench_scale.py --stars 10000000 --parts 10 --out scale10m      # ingest parts to partition
    python benchmarks/bench_hats_anchor.py --run scale10m --hats-python HATS_VENV/bin/python --workers 2

The rows are the workflow's ingest parts (``results/ingest/parts/*.arrow``), written once as parquet for hats-import
(not timed).  Each side runs in its own process tree, sampled every 0.2 s for the summed RSS of the tree:

- HELIOS: every stage of the partition in one process (``helios.partition.build_universe``: count, plan, split,
  reduce, index), and the workflow's partition jobs from their ``benchmark:`` files (``bench_scale.py``'s run);
- hats-import: its import pipeline (map, binning, split, reduce, finishing) on a Dask ``LocalCluster`` of
  ``--workers`` single-threaded workers, ``pixel_threshold`` = HELIOS's ``grid.max_stars``.

hats-import is installed in its own environment (``--hats-python``): it pins other versions of pandas and pyarrow.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

HATS_SCRIPT = """
import sys
from dask.distributed import Client, LocalCluster
from hats_import.catalog.arguments import ImportArguments
from hats_import.pipeline import pipeline_with_client

files, out, workers, threshold = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
args = ImportArguments(ra_column="ra", dec_column="dec", input_file_list=files, file_reader="parquet",
                       output_artifact_name="stars", output_path=out, pixel_threshold=threshold, progress_bar=False,
                       resume=False)
with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True) as cluster, Client(cluster) as client:
    pipeline_with_client(args, client)
"""

HELIOS_SCRIPT = """
import sys
from pathlib import Path
from helios.grid import Grid
from helios.partition import build_universe

parts, tallies, out, max_stars, shard_rows = sys.argv[1].split(","), sys.argv[2].split(","), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
index = build_universe(parts, tallies, Grid(max_stars=max_stars), summary_path=out / "ingest_summary.json", cells_dir=out / "cells",
                       index_path=out / "index.json", shard_rows=shard_rows)
print(index["cell_count"], len(index["shards"]))
"""


def measured(command: list[str]) -> tuple[float, float, str]:
    """Run a command; its wall time (s), the largest summed RSS of its process tree (MB) and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        root = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()) / 1e6)
            except psutil.Error:
                pass
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit(f"{command[:3]} failed:\n{err[-3000:]}")
    return time.perf_counter() - started, peak, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, required=True, help="a bench_scale.py output folder (its ingest parts)")
    parser.add_argument("--hats-python", required=True, help="the python of an environment with hats-import")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-stars", type=int, default=120_000)
    parser.add_argument("--shard-rows", type=int, default=1_000_000)
    args = parser.parse_args()
    parts = sorted((args.run / "results" / "ingest" / "parts").glob("*.arrow"))
    tallies = [part.with_suffix(".json") for part in parts]
    with tempfile.TemporaryDirectory(dir=args.run) as scratch:
        scratch = Path(scratch)
        parquet = []
        for part in parts:
            with pa.OSFile(str(part), "rb") as source:
                table = ipc.open_file(source).read_all()
            parquet.append(scratch / f"{part.stem}.parquet")
            pq.write_table(table.select(["source_id", "ra", "dec", "distance_pc", "phot_g_mean_mag", "abs_mag_g", "bp_rp"]), parquet[-1])
        rows = sum(pq.read_metadata(p).num_rows for p in parquet)
        hats = measured([args.hats_python, "-c", HATS_SCRIPT, ",".join(map(str, parquet)), str(scratch / "hats"), str(args.workers),
                         str(args.max_stars)])
        helios = measured([sys.executable, "-c", HELIOS_SCRIPT, ",".join(map(str, parts)), ",".join(map(str, tallies)), str(scratch / "helios"),
                           str(args.max_stars), str(args.shard_rows)])
        pixels = len(list((scratch / "hats" / "stars").rglob("Npix=*.parquet")))
    result = {"rows": rows, "parts": len(parts), "workers": args.workers,
              "helios_in_one_process": {"wall_s": round(helios[0], 1), "peak_rss_mb": round(helios[1]), "cells_shards": helios[2].split()},
              "hats_import": {"wall_s": round(hats[0], 1), "peak_rss_mb": round(hats[1]), "pixels": pixels}}
    print(json.dumps(result, indent=1))
    (args.run / "hats_anchor.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
