"""What a selected cell becomes: a product, chosen in one place (``train.ground_truth``).

* ``levels`` (the default, :class:`helios.lod.product.LevelsProduct`): each cell's levels of detail, its
  brightest stars as points and the light of the rest in trained Gaussians (docs/levels.md).
* ``starfield`` and ``splats`` (:class:`helios.seed.product.SplatsProduct`): the seed trainer's splats of every
  star, fitted to a star field or to the stars' own Gaussians (docs/seed-trainer.md).

A product provides everything that differs between them: its training job (one workflow rule per product,
``workflow/rules/<rule>.smk``; a batch of one cell is the per-cell case), its entry in the trained index, its
pack blocks, its validation checks and its report.  The trained index, the pack, the report, the validation,
the command line and the workflow ask the product; nothing else tests which one it is.  The products are
imported by name on first use, so the levels never import the seed trainer (nor gsplat).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helios.errors import HeliosError

if TYPE_CHECKING:
    import numpy as np

    from helios.checks import Checks, Thresholds
    from helios.pack import PackBlock


class Product(ABC):
    """One thing a cell can become.  Subclasses set the class attributes and implement the methods."""

    #: The ``train.ground_truth`` value that chose it.
    name: str
    #: The workflow rule that trains a batch of cells (``workflow/rules/<rule>.smk``).
    rule: str
    #: Folder under ``trained/`` holding one folder per training job (``trained/<folder>/<batch>/``).
    folder: str
    #: Suffixes of the two files a job writes per cell: the trained result, then its metrics.
    suffixes: tuple[str, str]
    #: The trained index's total of what the cells hold (``gaussian_count``, ``splat_count``).
    count_key: str

    def __init__(self, name: str) -> None:
        self.name = name

    def check_config(self, config: dict[str, Any]) -> None:
        """Refuse a workflow config this product cannot run (a :class:`HeliosError` naming the keys), before any job.
        Every config passes by default."""
        return None

    def default_gpus(self, config: dict[str, Any]) -> int:
        """GPUs a training job asks for when ``train_jobs.gpus`` is null."""
        return 0

    @abstractmethod
    def trained_from(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config sections a trained cell depends on (recorded, hashed, in the trained index)."""

    @abstractmethod
    def index_entry(self, trained_dir: Path, stem: str) -> dict[str, Any]:
        """The trained index's entry for the cell whose files are ``trained_dir/STEM<suffix>``."""

    @abstractmethod
    def pack_blocks(self, trained_dir: Path, cell: dict[str, Any], abs_mag: np.ndarray, radius_pc: float,
                    encoding: str) -> list[PackBlock]:
        """The pack blocks of a trained cell (its index entry ``cell``) beside its points."""

    @abstractmethod
    def validate(self, checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
        """Add this product's checks of the trained cells; returns their summary (``cells`` and more)."""

    def report_parts(self, trained_dir: Path, universe: Any) -> Any:
        """The report's pictures (a :class:`helios.report_parts.ReportParts`) of ``universe`` (a
        :class:`helios.universe.Universe`: one shard of it, in a workflow); by default the sky figure's
        (:func:`helios.report.sky_parts`)."""
        # Imported by name, as are the annotations' types: the report is not code the trained index, the pack or
        # the validation run (helios.provenance follows import statements, type-only ones too, into code versions).
        return importlib.import_module("helios.report").sky_parts(universe)

    @abstractmethod
    def report(self, trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
               validation: dict[str, Any] | None, parts: Any) -> dict[str, Any]:
        """Write the report (convergence.png, gallery.png, sky.png, sky_as_seen.png, training_metrics.json, report.html) from
        ``parts``, the shards' :meth:`report_parts` added up."""

    def cell_files(self, stem: str) -> tuple[str, str]:
        """A cell's trained result and metrics files: ``stem`` plus the product's :attr:`suffixes`."""
        result, metrics = self.suffixes
        return f"{stem}{result}", f"{stem}{metrics}"

    def stem(self, batch: str, cell_id: str) -> str:
        """A cell's files under ``trained/``, without suffix, as the training job of ``batch`` writes them."""
        return f"{self.folder}/{batch}/{cell_id}"


#: ``train.ground_truth`` -> the class implementing it, imported on first use.
PRODUCTS = {
    "levels": "helios.lod.product:LevelsProduct",
    "starfield": "helios.seed.product:SplatsProduct",
    "splats": "helios.seed.product:SplatsProduct",
}


def product(ground_truth: str) -> Product:
    """The product chosen by ``train.ground_truth``."""
    if ground_truth not in PRODUCTS:
        raise HeliosError(f"train.ground_truth {ground_truth!r}: not a product (choose one of {', '.join(PRODUCTS)})")
    module, name = PRODUCTS[ground_truth].split(":")
    return getattr(importlib.import_module(module), name)(ground_truth)


def product_of(trained_index: dict[str, Any]) -> Product:
    """The product a trained index was made by."""
    return product(trained_index["ground_truth"])
