"""The levels of detail as a product (``train.ground_truth: levels``, the default; docs/levels.md)."""

from __future__ import annotations

import importlib
import statistics
from pathlib import Path
from typing import Any

import numpy as np

from helios import photometry
from helios.checks import Checks, Thresholds, finite
from helios.errors import HeliosError
from helios.files import load_json
from helios.pack.format import PackBlock
from helios.products import Product
from helios.trained_index import file_entry

#: What the trained index keeps of each level's metrics.
LEVEL_KEYS = ("level", "fraction", "points", "gaussians", "bytes", "trained", "luminosity_ratio", "loss_clustered", "loss_trained",
              "improvement", "best_step", "diverged_at", "not_trained_because")


class LevelsProduct(Product):
    """Each cell keeps its brightest stars as points and the light of the rest in Gaussians, clustered then
    trained, at each fraction of its all-points bytes (rule ``train_levels``, helios/lod/cell_job.py)."""

    rule = "train_levels"
    folder = "levels"
    suffixes = (".levels.parquet", ".levels.json")
    count_key = "gaussian_count"

    def trained_from(self, config: dict[str, Any]) -> dict[str, Any]:
        # The levels depend on the train: section's seed only (its other keys are the seed trainer's).
        return {"train": {"ground_truth": "levels", "seed": config["train"]["seed"]}, "levels": config["levels"]}

    def index_entry(self, trained_dir: Path, stem: str) -> dict[str, Any]:
        result, metrics_file = self.cell_files(stem)
        metrics = load_json(trained_dir / metrics_file, "cell levels metrics")
        return {**file_entry(trained_dir / result, result, "cell levels"),
                "metrics_file": metrics_file,
                "gaussian_count": sum(level["gaussians"] for level in metrics["levels"]),
                "levels": [{key: level.get(key) for key in LEVEL_KEYS} for level in metrics["levels"]]}

    def pack_blocks(self, trained_dir: Path, cell: dict[str, Any], abs_mag: np.ndarray, radius_pc: float,
                    encoding: str) -> list[PackBlock]:
        """One ``level`` block per level, for a cell whose stars' absolute magnitudes (brightest first) are ``abs_mag``."""
        # Imported here, not at the top: the workflow reads the product when it parses the Snakefile (every
        # Snakemake start, twice per SLURM job), and these bring in pyarrow and scipy.  Not torch: packing and
        # validating read the levels without it (2 s a job; tests/test_levels_stand_alone.py).
        from helios.lod.gaussians import GlowGaussians
        from helios.lod.store import read_cell_levels
        from helios.pack.records import encode_gaussians

        centre = np.asarray(cell["centre_pc"], np.float64)
        gaussians = read_cell_levels(trained_dir / cell["file"], centre)
        blocks = []
        for level in cell["levels"]:
            g = gaussians.get(level["level"], GlowGaussians.empty())
            if len(g) != level["gaussians"]:
                raise HeliosError(f"{trained_dir / cell['file']}: level {level['level']} does not hold the {level['gaussians']} "
                                  "Gaussians its metrics list")
            sigmas, rotations = g.scales_and_rotations()
            data = encode_gaussians(g.means - centre, sigmas, rotations, photometry.magnitude_from_flux(g.luminosity), g.colours)
            # The brightest star the Gaussians carry, as the points block stores it (float16): the level rule's guard.
            remainder = float(np.float16(abs_mag[level["points"]])) if level["points"] < len(abs_mag) else None
            blocks.append(PackBlock("level", len(g), data, {"level": level["level"], "fraction": level["fraction"],
                                                            "points": level["points"], "remainder_abs_mag": remainder}))
        return blocks

    def validate(self, checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
        return {"levels": check_levels(checks, cells, thresholds)}

    def report_parts(self, trained_dir: Path, universe: Any) -> Any:
        return importlib.import_module("helios.lod.report").level_report_parts(trained_dir, universe)

    def report(self, trained_index: dict[str, Any], trained_dir: Path, universe_dir: Path, report_dir: Path,
               validation: dict[str, Any] | None, parts: Any) -> dict[str, Any]:
        # Imported by name: the report is not code the trained index, the pack or the validation run
        # (helios.provenance follows import statements into their code versions).
        return importlib.import_module("helios.lod.report").build_levels_report(trained_index, trained_dir, universe_dir, report_dir, validation,
                                                                          parts)


def check_levels(checks: Checks, cells: list[dict[str, Any]], thresholds: Thresholds) -> dict[str, Any]:
    """The trained levels of ``trained/index.json``'s cells: finite, training that helped, light kept, none diverged."""
    levels = [(c["id"], level) for c in cells for level in c["levels"]]
    trained = [(cell, level) for cell, level in levels if level["trained"]]
    bad = [f"{cell} level {level['level']}" for cell, level in trained
           if not all(finite(level.get(k)) for k in ("loss_clustered", "loss_trained", "improvement"))]
    bad += [f"{cell} level {level['level']}" for cell, level in levels
            if level["luminosity_ratio"] is not None and not finite(level["luminosity_ratio"])]
    checks.add("finite metrics", not bad, f"not finite: {', '.join(bad[:10])}" if bad else f"{len(levels)} levels of {len(cells)} cells")
    finite_levels = [(cell, level) for cell, level in trained if f"{cell} level {level['level']}" not in bad]
    improvements = [level["improvement"] for _, level in finite_levels]
    median = statistics.median(improvements) if improvements else None
    unchanged = [f"{cell}/{level['level']}" for cell, level in finite_levels if level["improvement"] <= 0]
    if median is None:
        checks.add("loss reduction", True, "no level needed training (each has a Gaussian per remaining star, or training is off)")
    else:
        checks.add("loss reduction", median >= thresholds.min_median_loss_reduction,
                   f"median held-out loss reduction of the trained levels {median:.1%} (at least {thresholds.min_median_loss_reduction:.1%}); "
                   + (f"{len(unchanged)} level(s) kept their clustered Gaussians: {', '.join(unchanged[:10])}" if unchanged
                      else "training improved every level"))
    ratios = {f"{cell}/{level['level']}": level["luminosity_ratio"] for cell, level in levels if finite(level["luminosity_ratio"])}
    off = {name: ratio for name, ratio in ratios.items() if abs(ratio - 1) > thresholds.max_level_light_error}
    worst = max(ratios.items(), key=lambda item: abs(item[1] - 1)) if ratios else None
    checks.add("light kept", not off,
               (f"{len(off)} level(s) carry more than {thresholds.max_level_light_error:.0%} more or less light than the stars they "
                f"replace: " + ", ".join(f"{name} ({ratio - 1:+.1%})" for name, ratio in list(off.items())[:10])) if off
               else f"every level's Gaussians carry their stars' light within {thresholds.max_level_light_error:.0%}"
               + (f" (worst {worst[0]}: {worst[1] - 1:+.2%})" if worst else ""))
    diverged = [f"{cell}/{level['level']}" for cell, level in levels if level.get("diverged_at") is not None]
    detail = f"{len(diverged)} level(s) diverged (kept their best parameters): {', '.join(diverged[:10])}" if diverged else "none"
    if diverged and thresholds.allow_diverged:
        detail += " (allowed by validate.allow_diverged)"
    checks.add("diverged levels", not diverged or thresholds.allow_diverged, detail)
    return {"levels": len(levels), "trained": len(trained), "median_loss_reduction": median, "diverged": len(diverged),
            "gaussians": sum(c["gaussian_count"] for c in cells)}
