import logging

import pytest

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
