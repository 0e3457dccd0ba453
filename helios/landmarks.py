"""Landmarks: named places in the universe that training should cover.

The built-in set (``helios/data/landmarks.json``, made by
``tools/make_landmarks.py``) holds 325 objects from AU to Mpc scale.  User
files use the same schema::

    {"landmarks": [{"name": "M 31", "category": "galaxy",
                    "x_pc": ..., "y_pc": ..., "z_pc": ..., "source": "..."}, ...]}

``x_pc, y_pc, z_pc`` are heliocentric ICRS Cartesian coordinates in parsecs;
``format``, ``version`` and extra per-entry fields (ra_deg, dec_deg, dist_pc,
vmag, epoch, notes) are optional.  Names must be unique.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from helios.errors import LandmarkError

BUILTIN = "builtin"
CATEGORIES = (
    "bright_star",
    "dark_nebula",
    "galaxy",
    "globular_cluster",
    "nebula",
    "open_cluster",
    "planet",
    "planetary_nebula",
    "spacecraft",
    "star_group",
    "sun",
)

_ENTRY_SCHEMA = {
    "type": "object",
    "required": ["name", "category", "x_pc", "y_pc", "z_pc", "source"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "category": {"enum": list(CATEGORIES)},
        "x_pc": {"type": "number"},
        "y_pc": {"type": "number"},
        "z_pc": {"type": "number"},
        "source": {"type": "string", "minLength": 1},
    },
}
_FILE_SCHEMA = {
    "type": "object",
    "required": ["landmarks"],
    "properties": {
        "format": {"const": "helios-landmarks"},
        "version": {"const": 1},
        "frame": {"const": "icrs"},
        "units": {"const": "pc"},
        "landmarks": {"type": "array"},
    },
}


@dataclass(frozen=True)
class Landmark:
    name: str
    category: str
    x_pc: float
    y_pc: float
    z_pc: float
    source: str

    @property
    def xyz(self) -> tuple[float, float, float]:
        return (self.x_pc, self.y_pc, self.z_pc)


def load_landmarks(path: str | Path | None = None) -> list[Landmark]:
    """Read and validate a landmarks file; ``None`` or ``"builtin"`` gives the built-in set."""
    if path is None or str(path) == BUILTIN:
        label = "built-in landmarks.json"
        text = resources.files("helios").joinpath("data/landmarks.json").read_text(encoding="utf-8")
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise LandmarkError(f"{label}: no such landmarks file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise LandmarkError(f"{label}: cannot read the landmarks file ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LandmarkError(f"{label}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return parse_landmarks(document, label)


def parse_landmarks(document: Any, label: str) -> list[Landmark]:
    """Validate a decoded landmarks document; errors name the offending entry."""
    problem = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(_FILE_SCHEMA).iter_errors(document))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "top level"
        raise LandmarkError(f"{label}: {where}: {problem.message}")
    entries = document["landmarks"]
    if not entries:
        raise LandmarkError(f"{label}: the 'landmarks' list is empty")
    validator = jsonschema.Draft202012Validator(_ENTRY_SCHEMA)
    seen: dict[str, int] = {}
    landmarks = []
    for number, entry in enumerate(entries):
        name = entry.get("name") if isinstance(entry, dict) else None
        who = f"entry {number}" + (f" ({name!r})" if isinstance(name, str) and name else "")
        problem = jsonschema.exceptions.best_match(validator.iter_errors(entry))
        if problem is not None:
            field = "/".join(str(p) for p in problem.absolute_path)
            raise LandmarkError(f"{label}: {who}: {(field + ': ') if field else ''}{problem.message}")
        for axis in ("x_pc", "y_pc", "z_pc"):
            if not math.isfinite(entry[axis]):
                raise LandmarkError(f"{label}: {who}: {axis} must be a finite number of parsecs, got {entry[axis]}")
        if name in seen:
            raise LandmarkError(f"{label}: {who}: the name is already used by entry {seen[name]}; names must be unique")
        seen[name] = number
        landmarks.append(Landmark(name, entry["category"], float(entry["x_pc"]), float(entry["y_pc"]), float(entry["z_pc"]), entry["source"]))
    return landmarks


def find_landmark(landmarks: list[Landmark], name: str, label: str = "landmark") -> Landmark:
    """The landmark called ``name`` (case-insensitive), or the one whose name starts so; a clear error otherwise."""
    wanted = name.lower()
    found = [mark for mark in landmarks if mark.name.lower() == wanted]
    found = found or [mark for mark in landmarks if mark.name.lower().startswith(wanted)]
    if len(found) > 1:
        raise LandmarkError(f"{label} {name!r}: {len(found)} landmarks start so: {', '.join(m.name for m in found[:8])}; give more of the name")
    if not found:
        close = [mark.name for mark in landmarks if wanted in mark.name.lower()][:5]
        hint = f"; did you mean {', '.join(close)}?" if close else f" ({len(landmarks)} names)"
        raise LandmarkError(f"{label} {name!r}: not three coordinates, 'sun' or a landmark name{hint}")
    return found[0]
