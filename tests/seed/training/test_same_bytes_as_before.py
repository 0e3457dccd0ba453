"""The training refactor changed no result: the same config and seed give the same PLY bytes on the CPU
as the code before it (commit BEFORE, run from ``git archive`` in a subprocess on this machine, so that
the comparison does not depend on the CPU that made a stored file)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import torch

from helios.build import build
from helios.cell import load_cell
from helios.seed.training import TrainOptions, train_batch, train_cell
from tests.conftest import REPO

BEFORE = "cd55a3ff0bd24c910dd46d8bedf6f13188fde8cf"  # main before the one training loop (issue 14)
# Real Hipparcos cells of the embedded sample: one trained alone (with densification and a splat cap that bites),
# three trained as a batch.
ALONE = "5_3_1"
BATCHED = ["2_4_0", "6_4_1", "5_0_1"]
ALONE_OPTIONS = dict(iterations=60, image_size=32, views_per_iter=2, train_views=8, eval_views=2, densify_from=10,
                     densify_interval=10, densify_until=40, select_every=10, curve_every=5, max_splats=60, backend="torch")
BATCH_OPTIONS = dict(iterations=40, image_size=32, views_per_iter=2, train_views=6, eval_views=2, densify_until=0,
                     select_every=10, curve_every=5, backend="torch")

OLD_RUN = """
import sys
import torch
torch.set_num_threads(1)
import helios.cell as old_cell
import helios.train as old_train  # the modules of the commit before: train (one cell) and train_batch
import helios.train_batch as old_train_batch
cells, out = sys.argv[2], sys.argv[3]
old_train.train_cell(old_cell.load_cell(f"{cells}/{ALONE}.parquet"), f"{out}/{ALONE}.ply", f"{out}/{ALONE}.json",
                     old_train.TrainOptions(**ALONE_OPTIONS))
batch = [old_cell.load_cell(f"{cells}/{c}.parquet") for c in BATCHED]
old_train_batch.train_batch(batch, [(f"{out}/{c}.ply", f"{out}/{c}.json") for c in BATCHED], old_train.TrainOptions(**BATCH_OPTIONS))
# Only the code of the commit before ran (an editable install could otherwise fill in modules from the work tree).
strays = [m.__file__ for name, m in sys.modules.items() if name.startswith("helios") and not getattr(m, "__file__", "").startswith(sys.argv[1])]
assert not strays, strays
"""


def old_code(tmp_path: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE, "helios"], capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"commit {BEFORE[:10]} is not in this clone (shallow?): {archive.stderr.decode().strip()}")
    root = tmp_path / "before"
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(root, filter="data")
    return root


def test_same_ply_bytes_as_before_the_refactor(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # the promise is for the CPU
    before = old_code(tmp_path)
    build([{"kind": "file", "path": str(REPO / "data" / "hipparcos2_hp7.csv.gz")}], tmp_path / "universe")
    cells = tmp_path / "universe" / "cells" / "shard-0000"  # the sample is one shard
    # The code before reads a cell's frame from the index beside its folder (cells/CELL.parquet): give it that layout.
    flat = tmp_path / "flat"
    (flat / "cells").mkdir(parents=True)
    shutil.copyfile(tmp_path / "universe" / "index.json", flat / "index.json")
    for cell in [ALONE, *BATCHED]:
        shutil.copyfile(cells / f"{cell}.parquet", flat / "cells" / f"{cell}.parquet")
    (tmp_path / "old").mkdir()
    script = f"ALONE = {ALONE!r}\nBATCHED = {BATCHED!r}\nALONE_OPTIONS = {ALONE_OPTIONS!r}\nBATCH_OPTIONS = {BATCH_OPTIONS!r}\n" + OLD_RUN
    env = {**os.environ, "PYTHONPATH": str(before), "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run([sys.executable, "-c", script, str(before), str(flat / "cells"), str(tmp_path / "old")],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr

    new = tmp_path / "new"
    new.mkdir()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train_cell(load_cell(cells / f"{ALONE}.parquet"), new / f"{ALONE}.ply", new / f"{ALONE}.json", TrainOptions(**ALONE_OPTIONS))
        batch = [load_cell(cells / f"{c}.parquet") for c in BATCHED]
        train_batch(batch, [(new / f"{c}.ply", new / f"{c}.json") for c in BATCHED], TrainOptions(**BATCH_OPTIONS))
    finally:
        torch.set_num_threads(threads)
    for cell in [ALONE, *BATCHED]:
        old_bytes, new_bytes = (tmp_path / "old" / f"{cell}.ply").read_bytes(), (new / f"{cell}.ply").read_bytes()
        assert len(old_bytes) > 300, cell
        new_bytes = new_bytes.replace(b"\ncomment HELIOS\n", b"\n", 1)  # the tag added since (helios.outputs), nothing else
        assert new_bytes == old_bytes, f"cell {cell}: the PLY differs from the one the code before the refactor wrote"
