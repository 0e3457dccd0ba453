"""Star names and designations for the site's search and click-a-star panel (``star_names.json``).

d3-celestial (Olaf Frohn, BSD-3-Clause; the npm package the client installs) ships ``data/starnames.json``: 4,870
stars keyed by Hipparcos number, with proper names (600), Bayer letters, Flamsteed numbers, variable-star names,
HD and Gliese numbers, and the constellation.  A universe whose ids are Hipparcos numbers (``meta.ids`` ``hip``,
:mod:`helios.star_ids`) is matched exactly: every named star gets the cell and row (its place in the cell's
``points`` and ``ids`` blocks) where it lies, so that search can fly there without fetching anything else; the names
of stars the universe does not hold are counted (``not_in_universe``), not listed.  The same file holds every star's
Hipparcos number with its cell and row (``hip``), so that search finds any HIP number, named or not.

A universe of Gaia DR3 ids is cross-matched by position: every Hipparcos star of d3-celestial's ``data/stars.14.json``
(all 118,216, V magnitude, places to 0.0001 degree at epoch J2000.0: Hipparcos's moved by their proper motions,
which their agreement with Hipparcos-2 shows, 0.13" median, against 0.31" at J1991.25) is paired with the
universe's star nearest to it within :data:`MATCH_RADIUS_ARCSEC` once that star is moved to J2000.0 by its own
proper motion, and only where its G is within :data:`MATCH_MAG_TOLERANCE` of the V magnitude.  Only cells with a star
brighter than G = :data:`MATCH_G_LIMIT` are read (the index's ``g_mag_range``), a cell at a time.  Universes of
other ids (synthetic, mixed) get the file without places (``stars`` empty, every name counted as not in the universe).
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
#: The cross-match of a Gaia universe to Hipparcos (the module's docstring): Hipparcos reaches V of about 12.4; a
#: place at J2000.0 good to an arcsecond (d3-celestial's 0.0001 degree is 0.36"); G - V reaches about 1.5 mag
#: for the reddest stars.
STARS_EPOCH = 2000.0
MATCH_G_LIMIT = 13.0
MATCH_RADIUS_ARCSEC = 2.0
MATCH_MAG_TOLERANCE = 2.0
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


def hipparcos_stars(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """d3-celestial's ``stars.14.json``: HIP numbers, unit vectors of their places (ICRS, J2000.0) and V magnitudes."""
    document = load_json(path, "d3-celestial stars")
    try:
        features = document["features"]
        hip = np.array([int(f["id"]) for f in features], np.int64)
        ra, dec = np.radians(np.array([f["geometry"]["coordinates"] for f in features], np.float64)).T
        mag = np.array([float(f["properties"]["mag"]) for f in features])
    except (KeyError, TypeError, ValueError) as exc:
        raise HeliosError(f"{path}: not a GeoJSON list of stars with an id, [ra, dec] and a magnitude ({exc!r})") from None
    return hip, np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1), mag


def gaia_places(universe_dir: Path, index: dict[str, Any], stars_path: Path) -> tuple[list[list[str]], np.ndarray]:
    """As :func:`hip_places` for a universe of Gaia ids: its stars paired with Hipparcos stars by position (the
    module's docstring), ``[hip, cell number, row]`` sorted by HIP number."""
    from scipy.spatial import cKDTree

    hip, where, mag = hipparcos_stars(stars_path)
    tree = cKDTree(where)
    chord = 2 * np.sin(np.radians(MATCH_RADIUS_ARCSEC / 3600) / 2)
    years = STARS_EPOCH - float(index["epoch"])
    found: list[np.ndarray] = []
    cells = []
    for number, entry in enumerate(index["cells"]):
        cells.append([entry["id"], entry.get("shard")])
        if entry.get("g_mag_range") and entry["g_mag_range"][0] > MATCH_G_LIMIT:
            continue
        path = universe_dir / entry["file"]
        try:
            table = pq.ParquetFile(path).read(columns=["ra", "dec", "pmra", "pmdec", "phot_g_mean_mag"])
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise HeliosError(f"{path}: cannot read the stars' places ({exc})") from None
        g = table.column("phot_g_mean_mag").to_numpy(zero_copy_only=False).astype(np.float64)
        rows = np.flatnonzero(g <= MATCH_G_LIMIT)
        if not len(rows):
            continue
        ra, dec, pmra, pmdec = (np.nan_to_num(table.column(name).to_numpy(zero_copy_only=False)[rows].astype(np.float64))
                                for name in ("ra", "dec", "pmra", "pmdec"))
        dec = dec + pmdec * years / 3.6e6  # mas to degrees
        ra = ra + pmra * years / 3.6e6 / np.maximum(np.cos(np.radians(dec)), 1e-9)
        ra, dec = np.radians(ra), np.radians(dec)
        distance, nearest = tree.query(np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1),
                                       distance_upper_bound=chord)
        ok = np.flatnonzero(np.isfinite(distance))
        ok = ok[np.abs(g[rows[ok]] - mag[nearest[ok]]) <= MATCH_MAG_TOLERANCE]
        found.append(np.stack([hip[nearest[ok]], np.full(len(ok), number), rows[ok], distance[ok]], axis=1))
    pairs = np.concatenate(found) if found else np.zeros((0, 4))
    pairs = pairs[np.lexsort((pairs[:, 3], pairs[:, 0]))]  # by HIP number, the nearest first: each HIP star once
    pairs = pairs[np.r_[True, pairs[1:, 0] != pairs[:-1, 0]]] if len(pairs) else pairs
    return cells, pairs[:, :3].astype(np.int64)


def star_names(universe_dir: str | Path, starnames_path: Path) -> dict[str, Any]:
    """The site's ``star_names.json`` for a universe: its named stars with their places, and its HIP numbers
    (``starnames_path``: d3-celestial's ``starnames.json``; its ``stars.14.json`` beside it for a Gaia universe)."""
    universe_dir = Path(universe_dir)
    index = read_index(universe_dir / "index.json")
    names = read_starnames(starnames_path)
    kind = index.get("ids", "source_id")
    if kind == "hip":
        cells, table = hip_places(universe_dir, index)
    elif kind == "gaia_dr3":
        cells, table = gaia_places(universe_dir, index, starnames_path.parent / "stars.14.json")
    else:
        cells, table = [], np.zeros((0, 3), np.int64)
    place = {int(hip): (int(cell), int(row)) for hip, cell, row in table}
    stars = [{"hip": hip, **fields, "cell": place[hip][0], "row": place[hip][1]} for hip, fields in sorted(names.items()) if hip in place]
    matched = {"hip": "exact: the universe's ids are HIP numbers",
               "gaia_dr3": f"by position: Hipparcos places (J2000.0) within {MATCH_RADIUS_ARCSEC} arcsec of the stars moved back by their "
                           f"proper motion, G within {MATCH_MAG_TOLERANCE} mag of V"}.get(kind, "none: the universe's ids are neither")
    return {"format": FORMAT, "version": VERSION, "source": SOURCE, "ids": kind, "matched": matched, "cells": cells, "stars": stars,
            "not_in_universe": len(names) - len(stars), "hip": table.reshape(-1).tolist()}
