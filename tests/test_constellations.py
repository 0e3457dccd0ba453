"""The constellation figures: d3-celestial's lines (the client's npm package) joined to Hipparcos-2 stars in 3-D."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helios.constellations import ConstellationError, constellations, d3_celestial_data, figure_lines
from helios.errors import HeliosError
from helios.universe import Universe

ORION = {"Betelgeuse": 27989, "Rigel": 24436, "Bellatrix": 25336, "Alnitak": 26727}


@pytest.fixture(scope="module")
def figures(sample_universe):
    return constellations(Universe(sample_universe))


def test_every_vertex_is_one_star_and_serpens_is_one_figure():
    data = d3_celestial_data()
    lines = figure_lines(data / "constellations.lines.json", data / "stars.8.json")
    features = json.loads((data / "constellations.lines.json").read_text())["features"]
    assert len(features) == 89 and len(lines) == 88  # Serpens Caput and Cauda are one figure
    assert sum(len(line) for f in features for line in f["geometry"]["coordinates"]) == sum(len(x) for f in lines.values() for x in f)
    assert set(ORION.values()) <= {hip for line in lines["Ori"] for hip in line}


def test_nothing_is_dropped_silently(figures):
    """Two stars have no Hipparcos-2 parallax in the sample (HIP 54751's is negative, HIP 55203 has none): their
    segments are left out and counted; every other segment of d3-celestial's figures is kept."""
    data = d3_celestial_data()
    lines = figure_lines(data / "constellations.lines.json", data / "stars.8.json")
    total = sum(len(line) - 1 for polylines in lines.values() for line in polylines)
    kept = sum(len(figure["segments"]) for figure in figures["figures"])
    assert figures["left_out"] == {"Car": {"segments": 2, "stars": [54751]}, "UMa": {"segments": 1, "stars": [55203]}}
    assert kept + 3 == total == 743
    orion = next(f for f in figures["figures"] if f["id"] == "Ori")
    assert orion["name"] == "Orion" and [ORION["Betelgeuse"], ORION["Bellatrix"]] in orion["segments"]


def test_from_the_sun_each_star_lies_where_d3_celestial_draws_it(figures):
    """The 3-D places (Hipparcos-2 at 1991.25, ICRS) seen from the Sun point at the figures' RA/Dec vertices (J2000)
    within an arcminute (proper motion over 8.75 years), and sit at the stars' Hipparcos distances."""
    data = d3_celestial_data()
    stars = {f["id"]: f["geometry"]["coordinates"] for f in json.loads((data / "stars.8.json").read_text())["features"]}
    assert figures["frame"] == "icrs" and figures["epoch"] == 1991.25
    worst = 0.0
    for hip, star in figures["stars"].items():
        ra, dec = np.radians(stars[int(hip)])
        expected = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
        direction = np.asarray(star["position_pc"]) / np.linalg.norm(star["position_pc"])
        worst = max(worst, np.degrees(np.arccos(min(1.0, direction @ expected))) * 60)
    assert worst < 1.0, f"{worst:.2f} arcmin"
    assert np.linalg.norm(figures["stars"][str(ORION["Betelgeuse"])]["position_pc"]) == pytest.approx(1000 / 6.55, rel=1e-3)


def test_a_vertex_without_its_star_and_bad_files_are_clear_errors(tmp_path):
    data = d3_celestial_data()
    lines = json.loads((data / "constellations.lines.json").read_text())
    lines["features"][0]["geometry"]["coordinates"][0][1] = [12.3456, -7.891]
    (tmp_path / "lines.json").write_text(json.dumps(lines))
    with pytest.raises(ConstellationError, match=r"lines.json: figure And: vertex RA 12.3456, Dec -7.891 matches 0 stars of stars.8.json"):
        figure_lines(tmp_path / "lines.json", data / "stars.8.json")
    (tmp_path / "broken.json").write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(HeliosError, match="broken.json: unreadable d3-celestial file"):
        figure_lines(tmp_path / "broken.json", data / "stars.8.json")
    with pytest.raises(ConstellationError, match="d3-celestial's data is missing; install the client's dependencies first: npm ci"):
        d3_celestial_data(tmp_path)


def test_the_iau_boundaries_are_each_edge_once_as_directions(figures):
    """d3-celestial's 89 boundary polygons (Serpens in two) have 1,570 edges, each shared by the two constellations
    it divides: drawn once, as pairs of unit vectors."""
    edges = np.asarray(figures["boundaries"]).reshape(-1, 2, 3)
    assert len(edges) == 785 and figures["boundaries_within_pc"] == 1.0
    assert np.allclose(np.linalg.norm(edges, axis=2), 1.0, atol=1e-5)
    keys = {tuple(sorted(map(tuple, np.round(e, 4)))) for e in edges}
    assert len(keys) == 785


def test_the_packaged_star_table_is_what_its_tool_makes(tmp_path):
    """helios/data/constellation_stars.csv (the figures' Hipparcos-2 stars, packaged so that a site needs no
    repository) is remade byte for byte by tools/make_constellation_stars.py from d3-celestial and the sample."""
    import subprocess
    import sys

    from helios.constellations import STARS_TABLE
    from tests.conftest import REPO

    done = subprocess.run([sys.executable, str(REPO / "tools" / "make_constellation_stars.py"), "--output", str(tmp_path / "stars.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "755 of the figures' 757 stars" in done.stdout, done.stderr
    assert (tmp_path / "stars.csv").read_bytes() == (REPO / "helios" / STARS_TABLE).read_bytes()
