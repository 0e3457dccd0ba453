"""Ingest of one file in the real Gaia DR3 GaiaSource layout: rows per second per core.

    python benchmarks/bench_gaia_source.py --rows 500000 --repeats 3 --scratch /tmp

Writes ``GaiaSource_synthetic.csv.gz`` (synthetic values, labelled so; kept in ``--scratch`` for reuse): the ECSV
``#`` header block, then the 152 columns of DR3's ``gaia_source`` table in the bulk files' order
(``tests/data/gaia_dr3_gaia_source_columns.csvheader``), ``null`` for a missing value, ``True``/``False`` flags.
The stars are the synthetic Milky Way's; the share of missing values follows DR3 (Gaia Collaboration, Vallenari et
al. 2023, A&A 674, A1: 1.47 of 1.81 billion sources with a parallax, 33.8 million with a radial velocity, 470
million with GSP-Phot parameters); the other columns hold values of the right type and magnitude.

Each run ingests the file alone (``helios.ingest.ingest_file``, the workflow's ``ingest_part`` job) in a fresh
child process, with pyarrow limited to ``--threads`` (default: 1, then the job's 2); it prints wall time, CPU time
(user + system), peak RSS, rows/s and rows per CPU-second (rows/s/core), medians over the repeats.
"""

from __future__ import annotations

import argparse
import gzip
import json
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
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
COLUMNS = (REPO / "tests" / "data" / "gaia_dr3_gaia_source_columns.csvheader").read_text().strip().split(",")
#: DR3 shares (Vallenari et al. 2023): sources with a parallax, a radial velocity, GSP-Phot parameters.
WITH_PARALLAX, WITH_RV, WITH_GSPPHOT = 1.468 / 1.812, 33.8 / 1812, 470.8 / 1812

FLAGS = {"astrometric_primary_flag", "duplicated_source", "in_qso_candidates", "in_galaxy_candidates", "has_xp_continuous",
         "has_xp_sampled", "has_rvs", "has_epoch_photometry", "has_epoch_rv", "has_mcmc_gspphot", "has_mcmc_msc",
         "in_andromeda_survey"}
COUNTS = ("n_obs", "n_good", "n_bad", "matched_transits", "visibility_periods", "nb_transits", "n_contaminated", "n_blended",
          "params_solved", "proc_mode", "rv_method_used", "atm_param_origin", "nb_deblended", "non_single_star")
RV_COLUMNS = ("radial_velocity", "rv_", "vbroad", "grvs", "rvs_spec")


def gaia_source_frame(batch, rng: np.random.Generator, solution_id: int = 1636148068921376768) -> pd.DataFrame:
    """One block of rows in the gaia_source layout from a batch of the synthetic sky."""
    n = batch.num_rows
    sky = {name: batch.column(name).to_numpy(zero_copy_only=False) for name in batch.schema.names}
    astrometric = rng.random(n) < WITH_PARALLAX  # 5/6-parameter solutions; the rest have position only
    rv = rng.random(n) < WITH_RV
    gspphot = rng.random(n) < WITH_GSPPHOT
    g, bp_rp = sky["phot_g_mean_mag"], sky["bp_rp"]
    known = {
        "solution_id": np.full(n, solution_id, np.int64), "source_id": sky["source_id"].astype(np.int64),
        "random_index": rng.permutation(n).astype(np.int64), "ref_epoch": np.full(n, 2016.0),
        "ra": sky["ra"], "dec": sky["dec"], "parallax": sky["parallax"], "parallax_error": sky["parallax_error"],
        "pmra": rng.normal(-2.5, 6.0, n), "pmdec": rng.normal(-3.0, 6.0, n), "phot_g_mean_mag": g.astype(np.float32),
        "bp_rp": bp_rp.astype(np.float32), "phot_bp_mean_mag": (g + 0.42 * bp_rp).astype(np.float32),
        "phot_rp_mean_mag": (g - 0.58 * bp_rp).astype(np.float32), "radial_velocity": rng.normal(0, 35, n).astype(np.float32),
        "ruwe": rng.lognormal(0.02, 0.15, n).astype(np.float32), "phot_variable_flag": np.where(rng.random(n) < 0.006, "VARIABLE", "NOT_AVAILABLE"),
        "libname_gspphot": rng.choice(np.array(["MARCS", "PHOENIX", "A", "OB"]), n, p=[0.85, 0.1, 0.04, 0.01]),
    }
    known["designation"] = np.char.add("Gaia DR3 ", known["source_id"].astype(str))
    known["pm"] = np.hypot(known["pmra"], known["pmdec"]).astype(np.float32)
    known["parallax_over_error"] = (known["parallax"] / known["parallax_error"]).astype(np.float32)
    frame = {}
    for name in COLUMNS:
        if name in known:
            values = known[name]
        elif name in FLAGS:
            values = rng.random(n) < 0.3
        elif any(part in name for part in COUNTS):
            values = rng.integers(0, 400, n).astype(np.int16)
        elif name.endswith("_corr"):
            values = rng.uniform(-1, 1, n).astype(np.float32)
        elif name.endswith(("_error", "_lower", "_upper")) or "flux" in name or "noise" in name:
            values = rng.lognormal(0, 1.5, n).astype(np.float32)
        else:
            values = rng.normal(0, 100, n)  # float64 columns (l, b, ecl_lon, ...) at full precision
        column = pd.Series(values, dtype=f"Int{values.dtype.itemsize * 8}" if values.dtype.kind == "i" else None)  # nullable
        if name in ("parallax", "parallax_error", "parallax_over_error", "pm", "pmra", "pmdec", "pseudocolour") or "pmra_" in name \
                or "pmdec_" in name or "parallax_" in name:
            column = column.where(astrometric)
        elif name.startswith(RV_COLUMNS):
            column = column.where(rv)
        elif name.endswith(("_gspphot", "_gspphot_lower", "_gspphot_upper")):
            column = column.where(gspphot)
        frame[name] = column
    return pd.DataFrame(frame, columns=COLUMNS)


def ecsv_header(frame: pd.DataFrame) -> str:
    types = {"Int64": "int64", "Int16": "int16", "float32": "float32", "float64": "float64", "bool": "bool"}
    lines = ["# %ECSV 1.0", "# ---", "# delimiter: ','", "# datatype:"]
    lines += [f"# - {{name: {name}, datatype: {types.get(str(dtype), 'string')}}}" for name, dtype in frame.dtypes.items()]
    lines += ["# meta: !!omap", "# - {CATALOGUE: Gaia DR3 layout, synthetic values (HELIOS benchmark)}"]
    return "\n".join(lines) + "\n"


def write_gaia_source(path: Path, rows: int, seed: int = 1) -> None:
    from helios.catalog import synthetic_batches

    rng = np.random.default_rng(seed)
    temporary = path.with_name(path.name + ".partial")
    with gzip.open(temporary, "wt", compresslevel=6, newline="") as handle:
        for number, batch in enumerate(synthetic_batches(rows, seed)):
            frame = gaia_source_frame(batch, rng)
            if number == 0:
                handle.write(ecsv_header(frame))
            frame.to_csv(handle, index=False, header=number == 0, na_rep="null", lineterminator="\n")
    temporary.replace(path)


def child(path: Path, out: Path, threads: int) -> None:
    import pyarrow as pa

    pa.set_cpu_count(threads)
    pa.set_io_thread_count(threads)
    from helios.ingest import IngestOptions, ingest_file

    ingest_file(path, out / "part.arrow", out / "part.json", IngestOptions(parallax_zero_point_mas=-0.017, ref_epoch=2016.0))


def measure(path: Path, scratch: Path, threads: int) -> dict[str, float]:
    """One ingest in a fresh child process, its part written to a folder made for it (and removed after)."""
    out = Path(tempfile.mkdtemp(prefix="bench-gaia-source-", dir=scratch))
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", str(path), str(out), str(threads)])
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the ingest failed (status {status})")
    tally = json.loads((out / "part.json").read_text())
    shutil.rmtree(out)  # made by mkdtemp above: only this run's part and tally are in it
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
            "rows_kept": tally.get("rows_kept", tally.get("kept"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scratch", type=Path, default=Path("."))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), int(args.child[2]))
        return
    path = args.scratch / f"GaiaSource_synthetic_{args.rows}.csv.gz"
    if not path.exists():
        started = time.perf_counter()
        write_gaia_source(path, args.rows)
        print(f"wrote {path} in {time.perf_counter() - started:.0f} s")
    print(f"{path.name}: {args.rows:,} rows, {len(COLUMNS)} columns, {path.stat().st_size / 1e6:.1f} MB gz; "
          f"{platform.machine()}, {os.cpu_count()} cores")
    results = {"rows": args.rows, "columns": len(COLUMNS), "gz_bytes": path.stat().st_size, "runs": {}}
    for threads in args.threads:
        runs = [measure(path, args.scratch, threads) for _ in range(args.repeats)]
        wall, cpu = statistics.median(r["wall_s"] for r in runs), statistics.median(r["cpu_s"] for r in runs)
        rss = statistics.median(r["peak_rss_mib"] for r in runs)
        results["runs"][threads] = {"runs": runs, "median_wall_s": wall, "median_cpu_s": cpu, "median_peak_rss_mib": rss}
        print(f"pyarrow threads {threads}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {rss:.0f} MiB: "
              f"{args.rows / wall:,.0f} rows/s, {args.rows / cpu:,.0f} rows per CPU-second")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
