"""Per-cell random seeds, shared by every product: a cell's result does not depend on which other cells run."""

from __future__ import annotations

import hashlib


def cell_seed(seed: int, cell_id: str) -> int:
    """A per-cell seed derived from the global seed and the cell id."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{cell_id}".encode()).digest()[:4], "little")
