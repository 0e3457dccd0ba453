"""Gather benchmark: trained index, pack (float32 and float16 splats) and report for many cells (seed trainer's splats).

    python benchmarks/bench_gather.py --cells 1000 --splats 500 --repeats 3

It fabricates a trained universe in a scratch directory: ``--cells`` PLY files
of ``--splats`` random Gaussians with metrics files (a 100-point loss curve
each), a universe index and three small cell files for the gallery.  Then it
times, in this process, medians over ``--repeats`` runs of each step.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch

from helios.files import write_json
from helios.grid import Grid, cell_id
from helios.pack import PackReader
from helios.pack.assembly import pack_universe
from helios.partition import INDEX_FORMAT, INDEX_VERSION
from helios.report import build_report
from helios.seed.splats import write_ply
from helios.seed.training import TrainOptions
from helios.seeding import cell_seed
from helios.trained_index import build_trained_index
from helios.universe import read_trained_index


def fabricate(root: Path, n_cells: int, n_splats: int) -> tuple[dict, dict]:
    grid = Grid(n_shells=40, n_theta=8, n_phi=4)
    rng = np.random.default_rng(0)
    universe_cells, selection_cells = [], []
    options = TrainOptions(iterations=1000, image_size=64, eval_views=1, train_views=4)
    for i in range(n_cells):
        cell = grid.key_to_cell(i + grid.n_theta * grid.n_phi)
        name = cell_id(cell)
        centre, radius = grid.centre_and_radius(cell)
        params = {
            "means": torch.tensor(rng.normal(size=(n_splats, 3)) * 0.3, dtype=torch.float32),
            "scales": torch.tensor(rng.normal(-4, 0.3, (n_splats, 3)), dtype=torch.float32),
            "quats": torch.tensor(rng.normal(size=(n_splats, 4)), dtype=torch.float32),
            "opacities": torch.tensor(rng.normal(size=n_splats), dtype=torch.float32),
            "colors": torch.tensor(rng.normal(size=(n_splats, 3)) * 0.3, dtype=torch.float32),
        }
        (root / "trained" / "cells").mkdir(parents=True, exist_ok=True)
        write_ply(root / "trained" / "cells" / f"{name}.ply", params, radius)
        curve = [{"step": 10 * k, "loss": float(np.exp(-k / 30) + 0.1), "l1": 0.0, "dssim": 0.0, "isotropy": 0.0, "collapse": 0.0, "splats": n_splats}
                 for k in range(100)]
        write_json(root / "trained" / "cells" / f"{name}.json", {
            "cell": name, "status": "ok", "backend": "torch", "splats_final": n_splats, "splats_initial": n_splats, "star_count": n_splats,
            "loss_initial": 1.1, "loss_final": 0.2 + 0.5 * rng.random(), "loss_reduction": float(rng.random()),
            "iterations_run": 1000, "best_step": 1000,
            "eval": {"psnr_before": 20.0, "psnr_after": 30.0, "ssim_before": 0.5, "ssim_after": 0.9}, "loss_curve": curve,
            "options": options.as_dict(), "cell_seed": cell_seed(0, name),
            "frame": {"centre_pc": list(map(float, centre)), "training_unit_pc": radius}})
        universe_cells.append({"id": name, "l": cell[0], "t": cell[1], "p": cell[2], "centre_pc": list(map(float, centre)), "radius_pc": radius,
                               "star_count": n_splats, "file": f"cells/{name}.parquet", "bytes": 0, "sha256": ""})
        selection_cells.append({"id": name})
        xyz = centre + rng.normal(size=(n_splats, 3)) * 0.3 * radius
        (root / "universe" / "cells").mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table({"x_pc": xyz[:, 0], "y_pc": xyz[:, 1], "z_pc": xyz[:, 2], "abs_mag_g": rng.normal(3, 2, n_splats),
                                 "red": np.ones(n_splats), "green": np.ones(n_splats), "blue": np.ones(n_splats)})
                       .replace_schema_metadata({"helios.cell": name}), root / "universe" / "cells" / f"{name}.parquet")
    universe = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "grid": grid.as_dict(), "frame": "icrs", "units": {"position": "pc"},
                "cells": universe_cells, "cell_count": n_cells}
    write_json(root / "universe" / "index.json", universe)
    return universe, {"cells": selection_cells}


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1000)
    parser.add_argument("--splats", type=int, default=500)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, torch threads {torch.get_num_threads()}; {args.cells} cells x {args.splats} splats")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        universe, selection = fabricate(root, args.cells, args.splats)
        print(f"fabricated in {time.perf_counter() - started:.1f} s")
        index_path = root / "trained" / "index.json"
        t_index, _ = timed(lambda: build_trained_index(universe, selection, root / "trained", index_path, ground_truth="starfield"),
                           args.repeats)
        rows = [("trained index.json (reads every PLY for its SHA-256)", t_index, None)]
        for dtype in ("f32", "f16"):
            pack = root / f"cells.{dtype}.pack"
            t_pack, _ = timed(lambda pack=pack, dtype=dtype: pack_universe(root / "universe", pack, root / "trained", dtype), args.repeats)

            def read_all(pack=pack):
                reader = PackReader(pack)
                return sum(len(reader.splats(c)) + len(reader.points(c)[1]) - args.splats for c in reader.cells)

            t_read, total = timed(read_all, args.repeats)
            assert total == args.cells * args.splats
            rows.append((f"pack {dtype} ({pack.stat().st_size / 1e6:.1f} MB)", t_pack, None))
            rows.append((f"read back and verify every cell, {dtype}", t_read, None))
        t_report, _ = timed(lambda: build_report(read_trained_index(index_path), root / "trained", root / "universe", root / "report"), args.repeats)
        rows.append(("report (plot, metrics, 3-cell gallery, HTML)", t_report, None))
        print("\n| step | median s |\n|---|---:|")
        for label, seconds, _ in rows:
            print(f"| {label} | {seconds:.2f} |")
        print(f"\nreport.html {(root / 'report' / 'report.html').stat().st_size / 1e6:.2f} MB; training_metrics.json "
              f"{(root / 'report' / 'training_metrics.json').stat().st_size / 1e6:.2f} MB")
        json.loads((root / "report" / "training_metrics.json").read_text())


if __name__ == "__main__":
    main()
