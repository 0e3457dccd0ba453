"""Option dataclasses built from config mappings, with unknown keys named."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

from helios.errors import HeliosError

T = TypeVar("T")


def from_mapping(cls: type[T], values: dict[str, Any], what: str) -> T:
    """``cls(**values)``, failing clearly on keys ``cls`` does not have."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise HeliosError(f"unknown {what}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return cls(**values)
