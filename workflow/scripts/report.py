"""Snakemake adapter: convergence plot, metrics, gallery and report.html."""

from pathlib import Path

from helios.gather import read_trained_index
from helios.report import build_report
from helios.scripting import configure_logging, user_errors


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    with user_errors(logger):
        metrics = build_report(read_trained_index(smk.input.index), Path(smk.input.index).parent, Path(smk.input.universe).parent,
                               Path(smk.output.html).parent)
        logger.info("report: %s", metrics["aggregate"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
