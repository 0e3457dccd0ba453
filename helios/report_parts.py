"""The report's pictures of the universe, drawn a shard at a time and added up.

Light adds: a view of the universe is the sum of its shards' views.  So each shard's job (the workflow's
``report_shard``) draws only its own cells into every picture the report shows, as linear flux images, with
the counts that add up as well (stars visible in a view, cells drawn at each level, bytes), and the report adds
the shards' parts.  No process reads more than one shard's stars, and the report's own step reads small images:
its time and memory do not grow with the catalogue (issue 32).

A part is an ``.npz`` file: ``format`` (:data:`PART_FORMAT`), ``shard``, ``counts`` (JSON text: name -> number),
and one array per image (``float32`` linear flux ``[H, W, 3]``, or ``int64`` counts per pixel ``[H, W]``).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helios.errors import HeliosError
from helios.files import atomic_path

PART_FORMAT = "helios-report-part"
_RESERVED = ("format", "shard", "counts")


@dataclass
class ReportParts:
    """Images by name, and numbers by name, that add up over the shards of a universe."""

    images: dict[str, np.ndarray] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)

    def add(self, other: ReportParts, where: str = "a report part") -> None:
        """Add ``other`` (with the same images, of the same shapes) to this, in place."""
        if self.images and set(other.images) != set(self.images):
            missing = sorted(set(self.images) ^ set(other.images))
            raise HeliosError(f"{where}: its images differ from the other parts' ({', '.join(missing[:5])}): made by other code; "
                              "rerun the workflow")
        for name, image in other.images.items():
            if name not in self.images:
                self.images[name] = image.astype(np.float64 if image.dtype.kind == "f" else np.int64)
            elif self.images[name].shape != image.shape:
                raise HeliosError(f"{where}: image {name} is {image.shape}, the other parts' {self.images[name].shape}")
            else:
                self.images[name] += image
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value

    def image(self, name: str) -> np.ndarray:
        if name not in self.images:
            raise HeliosError(f"the report's parts have no image {name!r}: made by other code; rerun the workflow")
        return self.images[name]


def write_part(path: str | Path, parts: ReportParts, shard: str) -> None:
    """Write one shard's part atomically (compressed: most of a shard's pixels are dark)."""
    bad = [name for name in parts.images if name in _RESERVED]
    if bad:
        raise HeliosError(f"report part images may not be named {bad}")
    arrays = {name: image.astype(np.float32) if image.dtype.kind == "f" else image.astype(np.int64) for name, image in parts.images.items()}
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, format=np.asarray(PART_FORMAT), shard=np.asarray(shard),
                                counts=np.asarray(json.dumps(parts.counts, sort_keys=True)), **arrays)


def read_part(path: str | Path) -> ReportParts:
    """One shard's part; a file that is not one is a :class:`HeliosError` naming it."""
    try:
        with np.load(path, allow_pickle=False) as arrays:
            if "format" not in arrays.files or str(arrays["format"]) != PART_FORMAT:
                raise HeliosError(f"{path}: not a HELIOS report part (no format {PART_FORMAT!r})")
            counts = json.loads(str(arrays["counts"]))
            images = {name: arrays[name] for name in arrays.files if name not in _RESERVED}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise HeliosError(f"{path}: cannot read the report part ({error})") from error
    return ReportParts(images, counts)


def sum_parts(paths: Iterable[str | Path]) -> ReportParts:
    """The parts at ``paths`` added up, read one at a time (in the order given: sorted, the sum is the same bytes)."""
    total = ReportParts()
    for path in paths:
        total.add(read_part(path), str(path))
    return total
