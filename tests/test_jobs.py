import logging

import pytest
import torch

from helios import jobs
from helios.errors import HeliosError


def test_user_errors_exit_with_one_paragraph(capsys, tmp_path):
    logger = jobs.configure_logging(str(tmp_path / "job.log"))
    with pytest.raises(SystemExit) as exit_info, jobs.user_errors(logger):
        raise HeliosError("cells/1_2_3.parquet: column 'x' is missing")
    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "helios: error: cells/1_2_3.parquet: column 'x' is missing\n"
    assert "column 'x' is missing" in (tmp_path / "job.log").read_text()
    logging.getLogger("helios").handlers.clear()


def test_a_job_uses_cuda_only_when_given_a_gpu(monkeypatch):
    logger = logging.getLogger("test")
    assert jobs.job_uses_cuda(0, cpu_fallback=False, logger=logger) is False
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(HeliosError, match="given 1 GPU\\(s\\) but CUDA is not available here"):
        jobs.job_uses_cuda(1, cpu_fallback=False, logger=logger)
    assert jobs.job_uses_cuda(1, cpu_fallback=True, logger=logger) is False
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert jobs.job_uses_cuda(1, cpu_fallback=False, logger=logger) is True
