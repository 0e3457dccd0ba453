"""The products' validation checks (helios.lod.product.check_levels, helios.seed.product.check_training) on hand-made
cell entries: each can fail, and says why."""

import pytest

from helios.checks import Checks, Thresholds
from helios.lod.product import check_levels
from helios.seed.product import check_training


def cell(cell_id, loss=(1.0, 0.5), psnr=(20.0, 25.0), status="ok"):
    metrics = {"loss_initial": loss[0], "loss_final": loss[1], "psnr_before": psnr[0], "psnr_after": psnr[1]}
    return {"id": cell_id, "status": status, "metrics": metrics}


def run(cells, **thresholds):
    checks = Checks()
    check_training(checks, cells, Thresholds(**thresholds))
    return {item["name"]: item for item in checks.items}


def test_a_run_that_trained_passes():
    checks = run([cell("1_0_0"), cell("1_1_0", loss=(2.0, 1.2)), cell("1_2_0", loss=(1.0, 1.0), psnr=(20.0, 20.0))])
    assert all(item["ok"] for item in checks.values()), checks
    assert "median 40.0%" in checks["loss reduction"]["detail"] and "1 cell(s) did not improve: 1_2_0" in checks["loss reduction"]["detail"]


def test_cells_kept_at_their_initial_parameters_fail_the_median():
    """Training keeps the best parameters from the start, so a loss never grows: what fails is training that did nothing."""
    checks = run([cell(f"1_{i}_0", loss=(1.0, 1.0), psnr=(20.0, 20.0)) for i in range(3)] + [cell("2_0_0")])
    assert not checks["loss reduction"]["ok"] and "median 0.0% (at least 1.0%)" in checks["loss reduction"]["detail"]
    assert "3 cell(s) did not improve" in checks["loss reduction"]["detail"]
    assert checks["held-out PSNR"]["ok"]  # +0.00 dB meets the default minimum of 0
    assert not run([cell("1_0_0", psnr=(20.0, 19.0))], min_median_psnr_gain_db=0.0)["held-out PSNR"]["ok"]
    assert not run([cell("1_0_0", psnr=(20.0, 20.5))], min_median_psnr_gain_db=1.0)["held-out PSNR"]["ok"]


def test_missing_or_infinite_metrics_fail_without_an_exception():
    checks = run([cell("1_0_0", loss=(1.0, None)), cell("1_1_0", psnr=(20.0, float("inf"))), cell("1_2_0")])
    assert not checks["finite metrics"]["ok"] and "1_0_0, 1_1_0" in checks["finite metrics"]["detail"]
    assert checks["loss reduction"]["ok"]  # judged on the cells whose metrics are finite
    nothing = run([cell("1_0_0", loss=(None, None))])
    assert not nothing["loss reduction"]["ok"] and "no trained cell" in nothing["loss reduction"]["detail"]


def test_diverged_cells_fail_unless_allowed():
    cells = [cell("1_0_0"), cell("4_2_1", status="diverged")]
    assert not run(cells)["diverged cells"]["ok"] and "4_2_1" in run(cells)["diverged cells"]["detail"]
    allowed = run(cells, allow_diverged=True)["diverged cells"]
    assert allowed["ok"] and "allowed by validate.allow_diverged" in allowed["detail"]


def test_unknown_settings_are_named():
    from helios.errors import HeliosError

    with pytest.raises(HeliosError, match="unknown validation setting"):
        Thresholds.from_mapping({"min_psnr": 3})


def level(number, improvement=0.3, ratio=1.0, trained=True, diverged_at=None):
    return {"level": number, "fraction": 0.01 * number, "trained": trained, "improvement": improvement if trained else None,
            "loss_clustered": 1.0 if trained else None, "loss_trained": 1.0 - improvement if trained else None,
            "luminosity_ratio": ratio, "diverged_at": diverged_at, "best_step": 10 if improvement else 0}


def run_levels(cells, **thresholds):
    checks = Checks()
    summary = check_levels(checks, [{"id": cell_id, "levels": levels, "gaussian_count": 3} for cell_id, levels in cells], Thresholds(**thresholds))
    return {item["name"]: item for item in checks.items}, summary


def test_levels_that_trained_and_kept_their_light_pass():
    checks, summary = run_levels([("1_0_0", [level(1), level(2, improvement=0.0)]), ("2_0_0", [level(1, trained=False), level(2)])])
    assert all(item["ok"] for item in checks.values()), checks
    assert summary["trained"] == 3 and summary["median_loss_reduction"] == 0.3
    assert "1 level(s) kept their clustered Gaussians: 1_0_0/2" in checks["loss reduction"]["detail"]


def test_levels_where_training_did_nothing_fail_the_median():
    checks, _ = run_levels([("1_0_0", [level(1, improvement=0.0), level(2, improvement=0.0)]), ("2_0_0", [level(1)])])
    assert not checks["loss reduction"]["ok"] and "median held-out loss reduction of the trained levels 0.0%" in checks["loss reduction"]["detail"]
    assert run_levels([("1_0_0", [level(1, improvement=0.0)])], min_median_loss_reduction=0.0)[0]["loss reduction"]["ok"]


def test_levels_that_lose_or_add_light_fail():
    checks, _ = run_levels([("1_0_0", [level(1, ratio=0.985), level(2, ratio=1.005)])])  # the default allows 1 %
    assert not checks["light kept"]["ok"] and "1_0_0/1 (-1.5%)" in checks["light kept"]["detail"] and "1_0_0/2" not in checks["light kept"]["detail"]
    assert run_levels([("1_0_0", [level(1, ratio=0.85)])], max_level_light_error=0.2)[0]["light kept"]["ok"]


def test_levels_with_bad_numbers_or_divergence_fail():
    checks, _ = run_levels([("1_0_0", [level(1, improvement=float("nan")), level(2, diverged_at=40)])])
    assert not checks["finite metrics"]["ok"] and "1_0_0 level 1" in checks["finite metrics"]["detail"]
    assert not checks["diverged levels"]["ok"] and "1_0_0/2" in checks["diverged levels"]["detail"]
    allowed = run_levels([("1_0_0", [level(1, diverged_at=40)])], allow_diverged=True)[0]["diverged levels"]
    assert allowed["ok"] and "allowed" in allowed["detail"]


def test_no_level_needing_training_is_not_a_failure():
    checks, summary = run_levels([("1_0_0", [level(1, trained=False)])])
    assert checks["loss reduction"]["ok"] and "no level needed training" in checks["loss reduction"]["detail"]
    assert summary["median_loss_reduction"] is None
