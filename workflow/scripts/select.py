"""Snakemake adapter: choose the cells to train."""

from helios.files import write_json
from helios.jobs import configure_logging, user_errors
from helios.landmarks import load_landmarks
from helios.partition import read_index
from helios.selection import select_cells


def main(smk) -> None:
    logger = configure_logging(smk.log[0])
    options = smk.params.select
    with user_errors(logger):
        landmarks = [] if options["mode"] == "all" else load_landmarks(options["landmarks"])
        selection = select_cells(
            read_index(smk.input.index),
            landmarks,
            mode=options["mode"],
            neighbors=options["neighbors"],
            categories=options["categories"],
            landmark_source=options["landmarks"],
        )
        write_json(smk.output[0], selection)
        logger.info("%d of %d cells selected", selection["cell_count"], selection["universe_cell_count"])


if "snakemake" in globals():
    main(snakemake)  # noqa: F821
