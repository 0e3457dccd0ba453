"""The training checks of helios.validate on hand-made cell entries: each can fail, and says why."""

import pytest

from helios.validate import Checks, Thresholds, check_training


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
