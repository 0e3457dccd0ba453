"""Snakemake adapter: convergence plot, metrics, gallery and report.html, from the shards' pictures added up."""

import json
from pathlib import Path

from helios.jobs import configure_logging, user_errors
from helios.report import build_report
from helios.report_parts import sum_parts
from helios.universe import read_trained_index


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        validation = json.loads(Path(smk.input.validation).read_text(encoding="utf-8"))
        parts = sum_parts(smk.input.parts)
        metrics = build_report(read_trained_index(smk.input.index), Path(smk.input.index).parent, Path(smk.input.universe).parent,
                               Path(smk.output.html).parent, validation, parts)
        logger.info("report: %s", metrics["aggregate"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
