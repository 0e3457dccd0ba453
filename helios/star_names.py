"""Star names and designations for the site's search and click-a-star panel (``star_names.json``).

d3-celestial (Olaf Frohn, BSD-3-Clause; the npm package the client installs) ships ``data/starnames.json``: 4,870
stars keyed by Hipparcos number, with proper names (600), Bayer letters, Flamsteed numbers, variable-star names,
HD and Gliese numbers, and the constellation.  A universe whose ids are Hipparcos numbers (``meta.ids`` ``hip``,
:mod:`helios.star_ids`) is matched exactly: every named star gets the cell and row (its place in the cell's
``points`` and ``ids`` blocks) where it lies, so that search can fly there without fetching anything else; the names
of stars the universe does not hold are counted (``not_in_universe``), not listed.  The same file holds every star's
Hipparcos number with its cell and row (``hip``), so that search finds any HIP number, named or not.  Universes of
other ids get the file without places (``stars`` empty, every name counted as not in the universe).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from helios.errors import HeliosError
from helios.files import load_json
from helios.partition import read_index

FORMAT = "helios-star-names"
VERSION = 1
SOURCE = "d3-celestial 0.7.35 (Olaf Frohn, BSD-3-Clause, npm): data/starnames.json, names and designations by HIP number"
#: The fields of a starnames.json entry HELIOS keeps, as it names them.
FIELDS = {"name": "name", "bayer": "bayer", "flam": "flamsteed", "var": "variable", "hd": "hd", "gl": "gliese", "c": "constellation"}


def read_starnames(path: Path) -> dict[int, dict[str, str]]:
    """d3-celestial's ``starnames.json`` by HIP number, each entry's non-empty :data:`FIELDS` (thin spaces as spaces)."""
    document = load_json(path, "d3-celestial star names")
    if not isinstance(document, dict):
        raise HeliosError(f"{path}: not an object of stars keyed by HIP number")
    names: dict[int, dict[str, str]] = {}
    for key, entry in document.items():
        if not (isinstance(key, str) and key.isdigit() and isinstance(entry, dict)):
            raise HeliosError(f"{path}: entry {key!r} is not a star keyed by its HIP number")
        kept = {}
        for field, name in FIELDS.items():
            value = entry.get(field, "")
            if not isinstance(value, str):
                raise HeliosError(f"{path}: HIP {key}: {field} is not text")
            value = " ".join(value.replace("\u2009", " ").split())
            if value:
                kept[name] = value
        names[int(key)] = kept
    return names


def hip_places(universe_dir: Path, index: dict[str, Any]) -> tuple[list[list[str]], np.ndarray]:
    """The universe's cells (``[cell id, shard id]``) and, for every star, ``[hip, cell number, row]`` sorted by HIP
    number (ids ``hip`` only)."""
    cells, rows = [], []
    for number, entry in enumerate(index["cells"]):
        path = universe_dir / entry["file"]
        try:
            ids = pq.ParquetFile(path).read(columns=["source_id"]).column("source_id").to_numpy()
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise HeliosError(f"{path}: cannot read the stars' ids ({exc})") from None
        cells.append([entry["id"], entry.get("shard")])
        rows.append(np.stack([ids, np.full(len(ids), number), np.arange(len(ids))], axis=1))
    table = np.concatenate(rows) if rows else np.zeros((0, 3), np.int64)
    return cells, table[np.argsort(table[:, 0], kind="stable")]


def star_names(universe_dir: str | Path, starnames_path: Path) -> dict[str, Any]:
    """The site's ``star_names.json`` for a universe: its named stars with their places, and its HIP numbers."""
    universe_dir = Path(universe_dir)
    index = read_index(universe_dir / "index.json")
    names = read_starnames(starnames_path)
    kind = index.get("ids", "source_id")
    cells, table = hip_places(universe_dir, index) if kind == "hip" else ([], np.zeros((0, 3), np.int64))
    place = {int(hip): (int(cell), int(row)) for hip, cell, row in table}
    stars = [{"hip": hip, **fields, "cell": place[hip][0], "row": place[hip][1]} for hip, fields in sorted(names.items()) if hip in place]
    return {"format": FORMAT, "version": VERSION, "source": SOURCE, "ids": kind, "cells": cells, "stars": stars,
            "not_in_universe": len(names) - len(stars), "hip": table.reshape(-1).tolist()}
