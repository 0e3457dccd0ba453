import json

import numpy as np
import pytest
import torch

from helios.cell import CellStars
from helios.errors import HeliosError
from helios.seed.ply import read_ply
from helios.seed.training import TrainOptions, train_batch, train_cell
from tests.seed.training.test_train import cluster

BATCH = dict(iterations=40, image_size=32, views_per_iter=2, train_views=6, eval_views=2, densify_until=0, select_every=10,
             curve_every=5, backend="torch")


def cells_of_mixed_sizes():
    return [cluster(30, seed=1, cell_id="3_1_1"), cluster(7, seed=2, cell_id="3_2_1"), cluster(1, seed=3, cell_id="4_0_2")]


def outputs(tmp_path, cells, sub):
    (tmp_path / sub).mkdir(exist_ok=True)
    return [(tmp_path / sub / f"{c.cell_id}.ply", tmp_path / sub / f"{c.cell_id}.json") for c in cells]


def test_each_cell_trains_as_it_would_alone(tmp_path):
    """Padding and the shared step change nothing but summation order."""
    options = TrainOptions(**BATCH)
    cells = cells_of_mixed_sizes()
    batched = train_batch(cells, outputs(tmp_path, cells, "batch"), options)
    for cell, together in zip(cells, batched):
        alone = train_cell(cell, tmp_path / "alone.ply", tmp_path / "alone.json", options)
        assert together["status"] == alone["status"] == "ok"
        assert together["loss_initial"] == pytest.approx(alone["loss_initial"], rel=1e-5)
        assert together["loss_final"] == pytest.approx(alone["loss_final"], rel=1e-3)
        assert together["best_step"] == alone["best_step"]
        assert together["eval"]["psnr_after"] == pytest.approx(alone["eval"]["psnr_after"], abs=0.01)
        assert [c["step"] for c in together["loss_curve"]] == [c["step"] for c in alone["loss_curve"]]
        ply_together, ply_alone = read_ply(tmp_path / "batch" / f"{cell.cell_id}.ply"), read_ply(tmp_path / "alone.ply")
        for name in ply_alone:
            np.testing.assert_allclose(ply_together[name], ply_alone[name], atol=2e-4, rtol=1e-3, err_msg=name)
        on_disk = json.loads((tmp_path / "batch" / f"{cell.cell_id}.json").read_text())
        assert on_disk["batched"]["trained_together"] == 3 and on_disk["splats_final"] == len(cell.positions)
        assert on_disk["ms_per_iteration"] * 3 == pytest.approx(on_disk["batched"]["ms_per_step"])


def test_same_seed_same_bytes_on_cpu(tmp_path):
    cells = cells_of_mixed_sizes()[:2]
    for run in ("a", "b"):
        train_batch(cells, outputs(tmp_path, cells, run), TrainOptions(**BATCH))
    for cell in cells:
        assert (tmp_path / "a" / f"{cell.cell_id}.ply").read_bytes() == (tmp_path / "b" / f"{cell.cell_id}.ply").read_bytes()


def test_empty_cells_in_a_batch(tmp_path):
    empty = CellStars("5_0_0", np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros(3), 1.0, 2)
    cells = [empty, cluster(5, cell_id="5_1_0")]
    results = train_batch(cells, outputs(tmp_path, cells, "b"), TrainOptions(**BATCH))
    assert [r["status"] for r in results] == ["empty", "ok"]
    assert len(read_ply(tmp_path / "b" / "5_0_0.ply")["means"]) == 0
    assert train_batch([empty], outputs(tmp_path, [empty], "c"), TrainOptions(**BATCH))[0]["status"] == "empty"


def test_a_diverging_cell_leaves_the_others_alone(tmp_path, monkeypatch):
    from helios.seed.training.trainees import CellBatch

    cells = [cluster(20, seed=1, cell_id="3_1_1"), cluster(20, seed=2, cell_id="3_2_1")]
    original_render, original_after = CellBatch.render, CellBatch.after

    def render(self, step, *args, **kwargs):
        self.current_step = step
        return original_render(self, step, *args, **kwargs)

    def poisoned(self, images, pick, isotropy, collapse):
        loss, parts = original_after(self, images, pick, isotropy, collapse)
        if self.current_step >= 12 and self.valid[1, 0] > 0:  # the second cell's loss turns NaN from step 12 on
            nan = torch.tensor([0.0, float("nan")])
            return loss + nan, parts + nan
        return loss, parts

    monkeypatch.setattr(CellBatch, "render", render)
    monkeypatch.setattr(CellBatch, "after", poisoned)
    results = train_batch(cells, outputs(tmp_path, cells, "d"), TrainOptions(**BATCH))
    assert [r["status"] for r in results] == ["ok", "diverged"]
    assert results[1]["iterations_run"] == 15  # first curve record at or after step 12
    assert results[1]["loss_final"] <= results[1]["loss_initial"]
    assert results[0]["iterations_run"] == 40 and results[0]["loss_reduction"] > 0.1
    for cell in cells:
        ply = read_ply(tmp_path / "d" / f"{cell.cell_id}.ply")
        assert np.isfinite(np.concatenate([v.ravel() for v in ply.values()])).all()


def test_densification_is_refused(tmp_path):
    with pytest.raises(HeliosError, match="does not densify"):
        train_batch([cluster(5)], outputs(tmp_path, [cluster(5)], "e"), TrainOptions(**{**BATCH, "densify_until": 30, "densify_from": 10}))


def test_max_splats_caps_each_cell(tmp_path):
    cells = [cluster(30, cell_id="3_1_1")]
    results = train_batch(cells, outputs(tmp_path, cells, "f"), TrainOptions(**{**BATCH, "max_splats": 12}))
    assert results[0]["splats_final"] == 12 and len(read_ply(tmp_path / "f" / "3_1_1.ply")["means"]) == 12


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")
def test_gsplat_batch_matches_gsplat_alone(tmp_path):
    options = TrainOptions(**{**BATCH, "backend": "gsplat", "image_size": 128, "iterations": 200, "views_per_iter": 4, "train_views": 16})
    cells = cells_of_mixed_sizes()
    batched = train_batch(cells, outputs(tmp_path, cells, "g"), options)
    for cell, together in zip(cells, batched):
        alone = train_cell(cell, tmp_path / "alone.ply", tmp_path / "alone.json", options)
        assert together["backend"] == "gsplat" and together["ssim"] == alone["ssim"] == "fused"
        assert together["loss_initial"] == pytest.approx(alone["loss_initial"], rel=1e-4)
        assert together["loss_reduction"] == pytest.approx(alone["loss_reduction"], abs=0.02)
        assert together["eval"]["psnr_after"] == pytest.approx(alone["eval"]["psnr_after"], abs=0.2)


def test_batches_are_padded_past_the_gsplat_warp_bug(tmp_path):
    from helios.seed.training.objective import ImageLoss
    from helios.seed.training.problem import prepare_cell
    from helios.seed.training.trainees import MIN_PADDED_SPLATS, CellBatch

    options = TrainOptions(**BATCH)
    cpu = torch.device("cpu")
    batch = CellBatch([prepare_cell(cluster(1, seed=s, cell_id=f"1_{s}_0"), options, cpu) for s in range(3)], options, "torch", cpu,
                      ImageLoss(cpu))
    assert batch.params["means"].shape[:2] == (3, MIN_PADDED_SPLATS) and batch.counts == [1, 1, 1]
    assert batch.valid.sum().item() == 3


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA for gsplat")
def test_gsplat_batch_gradients_match_each_cell_alone_for_one_star_cells():
    """One-star cells in a batch: gsplat 1.5.3 would pour every cell's means gradient into the first without the padding."""
    from helios.cameras import Views
    from helios.seed.render import rasterize
    from helios.seed.splats import sh0_to_rgb
    from helios.seed.training.objective import ImageLoss
    from helios.seed.training.problem import prepare_cell
    from helios.seed.training.trainees import CellBatch

    options = TrainOptions(**{**BATCH, "backend": "gsplat", "image_size": 64, "views_per_iter": 4})
    device = torch.device("cuda")
    batch = CellBatch([prepare_cell(cluster(1, seed=s, cell_id=f"1_{s}_0"), options, device) for s in range(8)], options, "gsplat", device,
                      ImageLoss(device))
    pick = batch.picks[0]
    *activated, _, _ = batch.before(*batch.raw())
    batch.render(0, *activated, with_info=False)[0].square().sum().backward()
    together = {k: v.grad.clone() for k, v in batch.params.items()}
    for b in range(batch.size):
        p = {k: v.detach()[b, :1].clone().requires_grad_(True) for k, v in batch.params.items()}
        images, _ = rasterize("gsplat", p["means"], p["quats"], torch.exp(p["scales"]), torch.sigmoid(p["opacities"]), sh0_to_rgb(p["colors"]),
                              Views(batch.train_viewmats[b, pick[b]], batch.train_Ks[b, pick[b]], 64, 64))
        images.square().sum().backward()
        for name in ("means", "scales", "opacities", "colors"):
            torch.testing.assert_close(together[name][b, :1], p[name].grad, rtol=1e-4, atol=1e-5, msg=f"cell {b} {name}")


@pytest.mark.skipif(torch.cuda.is_available(), reason="the fused SSIM needs CUDA; this checks the refusal without it")
def test_fused_ssim_without_cuda_is_refused_before_any_output(tmp_path):
    cells = cells_of_mixed_sizes()
    with pytest.raises(HeliosError, match="ssim fused was asked for but training runs on the CPU"):
        train_batch(cells, outputs(tmp_path, cells, "f"), TrainOptions(**{**BATCH, "ssim": "fused"}))
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
