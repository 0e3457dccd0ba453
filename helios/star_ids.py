"""Which catalogue a universe's star ids come from (``docs/pack-format.md``, the ``ids`` block).

Every star keeps its catalogue's ``source_id`` through the pipeline (the cell files' column, the pack's ``ids``
block).  What the number means is a property of the universe, decided once from what the ingest saw:

- ``synthetic``: a synthetic sky (its ids number the stars from 1);
- ``hip``: every id is a Hipparcos number (1 to 120,416: ESA 1997, *The Hipparcos and Tycho Catalogues*, vol. 1);
- ``gaia_dr3``: every id is a Gaia source_id (at least 2^32, and its HEALPix level-12 index, ``source_id // 2^35``,
  within the sky's 12 x 4^12 pixels: Gaia DR3 documentation, ``gaia_source.source_id``);
- ``source_id``: anything else (a mix of catalogues, or another catalogue's numbers): shown as a plain number;
- ``none``: no star has an id (a catalogue without the column).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

HIP_MAX = 120416
GAIA_MIN = 1 << 32
GAIA_HEALPIX_SHIFT = 35
GAIA_HEALPIX_PIXELS = 12 * 4**12
KINDS = ("synthetic", "hip", "gaia_dr3", "source_id", "none")
#: What a pack's ``ids`` block stores for a star with no id.
MISSING_ID = -1


@dataclass
class IdRange:
    """The smallest and largest id seen, and how many stars had none."""

    low: int | None = None
    high: int | None = None
    missing: int = 0

    def add(self, ids: pa.Array | pa.ChunkedArray) -> None:
        self.missing += ids.null_count
        if len(ids) > ids.null_count:
            bounds = pc.min_max(ids)
            low, high = bounds["min"].as_py(), bounds["max"].as_py()
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    def merge(self, other: Mapping[str, Any]) -> None:
        """Add a range given as :meth:`as_dict` wrote it."""
        self.missing += int(other.get("missing", 0))
        for name, pick in (("low", min), ("high", max)):
            value = other.get(name)
            if value is not None:
                mine = getattr(self, name)
                setattr(self, name, int(value) if mine is None else pick(mine, int(value)))

    def as_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "missing": self.missing}


def id_kind(ranges: Iterable[Mapping[str, Any]], synthetic: bool) -> str:
    """The universe's id kind (one of :data:`KINDS`) from its files' id ranges (``IdRange.as_dict``)."""
    total = IdRange()
    for one in ranges:
        total.merge(one)
    if total.low is None:
        return "none"
    if synthetic:
        return "synthetic"
    if total.missing:
        return "source_id"
    if 1 <= total.low and total.high <= HIP_MAX:
        return "hip"
    if total.low >= GAIA_MIN and (total.high >> GAIA_HEALPIX_SHIFT) < GAIA_HEALPIX_PIXELS:
        return "gaia_dr3"
    return "source_id"

