"""Batched against per-cell training on real cells, and where a batched step's time goes.

    python benchmarks/probe_batch.py --universe DIR --size-class 10 --cells 8

Takes up to ``--cells`` cells of one size class from a built universe
(``helios build``), trains them per cell and as one batch, each with CUDA
graphs on and off, and prints every cell's loss reduction and held-out PSNR
per variant; then times the parts of one batched step.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from helios.batching import size_class
from helios.cell import load_cell
from helios.splats import sh0_to_rgb
from helios.train import TrainOptions, prepare_cell, train_cell
from helios.train_batch import Batch, train_batch


def timed_steps(batch: Batch, label: str, body, steps: int = 50) -> None:
    for step in range(5):
        body(step)
    torch.cuda.synchronize()
    started = time.perf_counter()
    for step in range(steps):
        body(step)
    torch.cuda.synchronize()
    ms = 1000 * (time.perf_counter() - started) / steps
    print(f"  {label:48s} {ms:7.2f} ms/step  {ms / len(batch):.3f} ms/cell-step", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--universe", required=True)
    parser.add_argument("--size-class", type=int, default=10)
    parser.add_argument("--cells", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--steps-only", action="store_true", help="only time the parts of a batched step")
    parser.add_argument("--cudnn-benchmark", action="store_true", help="let cuDNN pick its fastest algorithms")
    args = parser.parse_args()
    index = json.loads((Path(args.universe) / "index.json").read_text())
    chosen = [c for c in index["cells"] if size_class(c["star_count"]) == args.size_class][: args.cells]
    cells = [load_cell(Path(args.universe) / c["file"]) for c in chosen]
    print(f"{len(cells)} cells of size class {args.size_class}: stars {[len(c.positions) for c in cells]}", flush=True)
    options = TrainOptions(iterations=args.iterations, image_size=256, views_per_iter=4, train_views=32, densify_until=0, backend="gsplat")
    torch.backends.cudnn.benchmark = args.cudnn_benchmark
    rows: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        if not args.steps_only:
            out = Path(scratch)
            for graphs in ("1", "0"):
                os.environ["HELIOS_CUDA_GRAPHS"] = graphs
                started = time.perf_counter()
                results = train_batch(cells, [(out / f"{c.cell_id}.ply", out / f"{c.cell_id}.json") for c in cells], options)
                print(f"batched, graphs {graphs}: {time.perf_counter() - started:.1f} s", flush=True)
                rows[f"batch g{graphs}"] = {r["cell"]: (r["loss_reduction"], r["eval"]["psnr_after"]) for r in results}
                started = time.perf_counter()
                alone = [train_cell(c, out / "a.ply", out / "a.json", options) for c in cells]
                print(f"per cell, graphs {graphs}: {time.perf_counter() - started:.1f} s", flush=True)
                rows[f"cell g{graphs}"] = {r["cell"]: (r["loss_reduction"], r["eval"]["psnr_after"]) for r in alone}
    if rows:
        print(f"{'cell':>8} " + " ".join(f"{k:>16}" for k in rows))
        for c in cells:
            print(f"{c.cell_id:>8} " + " ".join(f"{rows[k][c.cell_id][0]:>8.1%} {rows[k][c.cell_id][1]:>6.2f}dB" for k in rows))

    os.environ["HELIOS_CUDA_GRAPHS"] = "1"
    device = torch.device("cuda")
    batch = Batch([prepare_cell(c, options, device) for c in cells], options, "gsplat", device)
    from helios.adam import merged
    from helios.train import optimizers_for

    optimizer = merged(optimizers_for(batch.params, options))
    from helios.cameras import Views
    from helios.render import rasterize

    pick = batch.picks[0]
    together = batch.render(batch.train_viewmats[batch.cell_index, pick], batch.train_Ks[batch.cell_index, pick])
    together.square().sum().backward()
    grads_together = {k: v.grad.clone() for k, v in batch.params.items()}
    optimizer.zero_grad(set_to_none=True)
    for b, n in enumerate(batch.counts):
        p = {k: v[b, :n] for k, v in batch.params.items()}
        views = Views(batch.train_viewmats[b, pick[b]], batch.train_Ks[b, pick[b]], batch.size, batch.size)
        alone, _ = rasterize("gsplat", p["means"], p["quats"], torch.exp(p["scales"]), torch.sigmoid(p["opacities"]),
                             sh0_to_rgb(p["colors"]), views)
        alone.square().sum().backward()
        grads = {k: v.grad[b, :n].clone() for k, v in batch.params.items()}
        optimizer.zero_grad(set_to_none=True)
        print(f"  cell {b}: image max |diff| {(alone - together[b]).abs().max().item():.2e} (max {alone.max().item():.3f}); "
              + ", ".join(f"{k} grad {(grads[k] - grads_together[k][b, :n]).abs().max().item():.1e}/{grads[k].abs().max().item():.1e}" for k in grads))
    print(f"one batched step, {len(batch)} cells, {max(batch.counts)} splats padded:")

    def render_only(step):
        with torch.no_grad():
            pick = batch.picks[step]
            batch.render(batch.train_viewmats[batch.cell_index, pick], batch.train_Ks[batch.cell_index, pick])

    def forward(step):
        with torch.no_grad():
            batch.step_objective(step)

    def backward(step):
        batch.step_objective(step)["loss"].sum().backward()
        optimizer.zero_grad(set_to_none=True)

    def full(step):
        batch.step_objective(step)["loss"].sum().backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    timed_steps(batch, "render (forward)", render_only)
    timed_steps(batch, "objective (forward, eager SSIM)", forward)
    timed_steps(batch, "objective + backward", backward)
    timed_steps(batch, "objective + backward + Adam", full)
    timed_steps(batch, "objective over all 32 training views", lambda step: batch.full_loss(), steps=10)


if __name__ == "__main__":
    main()
