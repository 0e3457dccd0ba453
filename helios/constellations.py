"""Constellation figures in 3-D: d3-celestial's stick figures joined to the Hipparcos stars at their vertices.

d3-celestial (Olaf Frohn, BSD-3-Clause; the npm package the client installs, ``client/node_modules/d3-celestial``)
gives each figure as lines of RA/Dec vertices (``data/constellations.lines.json``) and its names
(``data/constellations.json``).  Each vertex is exactly the position of one star of its ``data/stars.8.json``, whose
id is the star's Hipparcos number, so a figure becomes lines between Hipparcos stars.  Their places and motions
come from Hipparcos-2 (``helios/data/constellation_stars.csv``, the figures' stars of the embedded sample, made by
``tools/make_constellation_stars.py``: parallax, proper motion, no radial velocity), moved with ERFA to the
universe's epoch and turned into its frame, so that from the Sun the lines trace the figures and from far away they
come apart.  A vertex whose star has no positive Hipparcos-2 parallax leaves its segments out; they are counted
(``left_out``), never dropped silently.
"""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from helios import astro, motion
from helios.errors import HeliosError
from helios.files import load_json
from helios.site import client_dir

FORMAT = "helios-constellations"
VERSION = 1
SOURCE = ("d3-celestial 0.7.35 (Olaf Frohn, BSD-3-Clause, npm): constellations.lines.json, constellations.json, "
          "stars.8.json, constellations.bounds.json; places and motions from Hipparcos-2 (van Leeuwen 2007), "
          "helios/data/constellation_stars.csv")
#: The IAU boundaries are drawn only this close to the Sun (pc): they divide the sky as seen from the Earth.
BOUNDARIES_WITHIN_PC = 1.0


class ConstellationError(HeliosError):
    pass


def d3_celestial_data(client: Path | None = None) -> Path:
    """d3-celestial's ``data/`` folder, installed with the dependencies of the client (default :func:`client_dir`)."""
    client = client or client_dir()
    folder = client / "node_modules" / "d3-celestial" / "data"
    if not (folder / "constellations.lines.json").is_file():
        raise ConstellationError(f"{folder}: d3-celestial's data is missing; install the client's dependencies first: "
                                 f"npm ci --prefix {client}")
    return folder


STARS_TABLE = "data/constellation_stars.csv"


def _features(path: Path) -> list[dict[str, Any]]:
    """The features of one of d3-celestial's GeoJSON files."""
    document = load_json(path, "d3-celestial file")
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ConstellationError(f"{path}: not a GeoJSON FeatureCollection (no 'features' list)")
    return document["features"]


def figure_lines(lines_path: Path, stars_path: Path) -> dict[str, list[list[int]]]:
    """Each figure's polylines (``constellations.lines.json``) as lists of HIP numbers, its vertices matched exactly
    to the stars of ``stars.8.json``; a vertex that matches no star, or two, is an error naming the figure."""
    by_place: dict[tuple[float, float], list[int]] = {}
    for number, star in enumerate(_features(stars_path)):
        try:
            ra, dec = star["geometry"]["coordinates"]
            by_place.setdefault((float(ra), float(dec)), []).append(int(star["id"]))
        except (KeyError, TypeError, ValueError):
            raise ConstellationError(f"{stars_path}: feature {number} is not a star with an id and [ra, dec] coordinates") from None
    figures: dict[str, list[list[int]]] = {}
    for number, feature in enumerate(_features(lines_path)):
        figure = feature.get("id") if isinstance(feature, dict) else None
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        if not isinstance(figure, str) or not isinstance(geometry, dict) or geometry.get("type") != "MultiLineString":
            raise ConstellationError(f"{lines_path}: feature {number} is not a figure (an id and a MultiLineString)")
        polylines = []
        for line in geometry.get("coordinates") or []:
            hips = []
            for vertex in line:
                try:
                    place = (float(vertex[0]), float(vertex[1]))
                except (TypeError, ValueError, IndexError):
                    raise ConstellationError(f"{lines_path}: figure {figure}: vertex {vertex!r} is not [ra, dec]") from None
                found = by_place.get(place, [])
                if len(found) != 1:
                    raise ConstellationError(f"{lines_path}: figure {figure}: vertex RA {place[0]}, Dec {place[1]} matches "
                                             f"{len(found)} stars of {stars_path.name}, not one")
                hips.append(found[0])
            polylines.append(hips)
        figures.setdefault(figure, []).extend(polylines)  # Serpens comes in two parts
    return figures


def figure_names(path: Path) -> dict[str, str]:
    """Each figure's name (``constellations.json``: ``properties.name``)."""
    names = {}
    for feature in _features(path):
        try:
            names[feature["id"]] = str(feature["properties"]["name"])
        except (KeyError, TypeError):
            raise ConstellationError(f"{path}: a feature without an id and properties.name") from None
    return names


def boundary_edges(path: Path) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The IAU constellation boundaries (``constellations.bounds.json``: a polygon of RA/Dec vertices per
    constellation) as edges, each once: every edge is shared by the two constellations it divides."""
    seen: set[frozenset] = set()
    edges = []
    for feature in _features(path):
        try:
            rings = feature["geometry"]["coordinates"]
            points = [[(round(float(ra) % 360.0, 4), round(float(dec), 4)) for ra, dec in ring] for ring in rings]
        except (KeyError, TypeError, ValueError):
            raise ConstellationError(f"{path}: feature {feature.get('id') if isinstance(feature, dict) else feature!r} is not a "
                                     "polygon of [ra, dec] vertices") from None
        for ring in points:
            closed = ring if ring[0] == ring[-1] else [*ring, ring[0]]
            for a, b in zip(closed[:-1], closed[1:], strict=True):
                if a != b and (key := frozenset((a, b))) not in seen:
                    seen.add(key)
                    edges.append((a, b))
    return edges


def hipparcos_stars(hips: set[int], table: str | None = None) -> tuple[motion.Astrometry, list[int]]:
    """The astrometry at Hipparcos's epoch of the stars of ``hips`` in the table (``table``: its text; default the
    package's ``helios/data/constellation_stars.csv``), and their HIP numbers in the same order."""
    text = table if table is not None else resources.files("helios").joinpath(STARS_TABLE).read_text(encoding="utf-8")
    try:
        rows = [row for row in csv.DictReader(io.StringIO(text)) if int(row["source_id"]) in hips and float(row["parallax"]) > 0]
    except (KeyError, ValueError) as exc:
        raise ConstellationError(f"helios/{STARS_TABLE}: cannot read source_id, ra, dec, parallax, pmra, pmdec ({exc})") from None
    column = lambda name: np.array([float(row[name] or "nan") for row in rows])  # noqa: E731
    distance = astro.distance_from_parallax(column("parallax"), 0.0)  # Hipparcos parallaxes: no Gaia zero-point
    stars = motion.Astrometry(column("ra"), column("dec"), distance, np.nan_to_num(column("pmra")), np.nan_to_num(column("pmdec")),
                              np.zeros(len(rows)), motion.HIPPARCOS_EPOCH)
    return stars, [int(row["source_id"]) for row in rows]


def constellations(universe: Any, data: Path | None = None) -> dict[str, Any]:
    """The constellations document for ``universe`` (a :class:`helios.universe.Universe`): every figure's segments
    as pairs of HIP numbers, each star's position (pc) and velocity (pc/kyr) in the universe's frame at its epoch,
    each figure's name and centre (the mean of its stars), what was left out, and the IAU boundaries."""
    data = data or d3_celestial_data()
    figures = figure_lines(data / "constellations.lines.json", data / "stars.8.json")
    names = figure_names(data / "constellations.json")
    wanted = {hip for polylines in figures.values() for line in polylines for hip in line}
    at_hipparcos, hips = hipparcos_stars(wanted)
    epoch = float(universe.index["epoch"])
    stars = motion.propagate(at_hipparcos, epoch) if len(hips) else at_hipparcos
    position = universe.grid.to_frame(astro.icrs_to_cartesian(stars.ra_deg, stars.dec_deg, stars.distance_pc))
    velocity = universe.grid.to_frame(motion.space_velocity(stars)) if len(hips) else np.zeros((0, 3))
    place = {hip: i for i, hip in enumerate(hips)}
    out, left_out = [], {}
    for figure, polylines in figures.items():
        segments = [[a, b] for line in polylines for a, b in zip(line[:-1], line[1:], strict=True) if a != b]
        kept = [s for s in segments if s[0] in place and s[1] in place]
        if len(kept) < len(segments):
            left_out[figure] = {"segments": len(segments) - len(kept),
                                "stars": sorted({h for s in segments for h in s if h not in place})}
        members = sorted({h for s in kept for h in s})
        centre = position[[place[h] for h in members]].mean(axis=0) if members else None
        out.append({"id": figure, "name": names.get(figure, figure), "segments": kept,
                    "centre_pc": None if centre is None else [round(float(c), 4) for c in centre]})
    used = sorted({h for figure in out for s in figure["segments"] for h in s})
    edges = np.array(boundary_edges(data / "constellations.bounds.json"), np.float64).reshape(-1, 2, 2)
    ends = [universe.grid.to_frame(astro.icrs_to_cartesian(edges[:, k, 0], edges[:, k, 1], np.ones(len(edges)))) for k in (0, 1)]
    return {
        "format": FORMAT, "version": VERSION, "source": SOURCE, "frame": universe.frame, "epoch": epoch, "units": "pc, pc/kyr",
        "stars": {str(h): {"position_pc": [round(float(v), 5) for v in position[place[h]]],
                           "velocity_pc_kyr": [round(float(v), 6) for v in velocity[place[h]]]} for h in used},
        "figures": out,
        "left_out": left_out,
        # Directions (unit vectors, the universe's frame), drawn from the camera's place within BOUNDARIES_WITHIN_PC of the Sun.
        "boundaries": [[round(float(v), 6) for v in (*a, *b)] for a, b in zip(*ends, strict=True)],
        "boundaries_within_pc": BOUNDARIES_WITHIN_PC,
    }
