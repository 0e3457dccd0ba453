"""The site's star names (helios/star_names.py): d3-celestial's names matched to the universe's stars by HIP number."""

import json

import pyarrow.parquet as pq
import pytest

from helios.build import build
from helios.constellations import d3_celestial_data
from helios.errors import HeliosError
from helios.star_names import read_starnames, star_names


@pytest.fixture(scope="module")
def starnames():
    return d3_celestial_data() / "starnames.json"


def test_named_stars_and_every_hip_number_are_placed_where_the_cells_hold_them(sample_universe, starnames):
    names = star_names(sample_universe, starnames)
    assert (names["format"], names["ids"]) == ("helios-star-names", "hip")
    index = json.loads((sample_universe / "index.json").read_text())
    ids = {entry["id"]: pq.read_table(sample_universe / entry["file"], columns=["source_id"]).column("source_id").to_pylist()
           for entry in index["cells"]}
    assert names["cells"] == [[entry["id"], entry["shard"]] for entry in index["cells"]]
    for star in names["stars"]:  # each named star is the star at its cell and row
        assert ids[names["cells"][star["cell"]][0]][star["row"]] == star["hip"]
    table = names["hip"]
    assert len(table) == 3 * index["star_count"] and table[0::3] == sorted(table[0::3])
    assert all(ids[names["cells"][c][0]][r] == h for h, c, r in zip(table[0::3], table[1::3], table[2::3]))
    betelgeuse = next(s for s in names["stars"] if s["hip"] == 27989)
    assert {k: betelgeuse[k] for k in ("name", "bayer", "flamsteed", "hd", "constellation")} == {
        "name": "Betelgeuse", "bayer": "α", "flamsteed": "58", "hd": "HD 39801", "constellation": "Ori"}
    assert names["not_in_universe"] == len(read_starnames(starnames)) - len(names["stars"]) > 0  # counted, not dropped


def test_a_universe_of_other_ids_gets_no_places(starnames, tmp_path):
    build([{"kind": "synthetic", "stars": 200, "seed": 1}], tmp_path / "u")
    names = star_names(tmp_path / "u", starnames)
    assert (names["ids"], names["stars"], names["hip"]) == ("synthetic", [], [])
    assert names["not_in_universe"] == len(read_starnames(starnames))


@pytest.mark.parametrize(("text", "message"), [('{"x": {}}', "entry 'x' is not a star keyed by its HIP number"),
                                               ('{"7": {"name": 3}}', "HIP 7: name is not text"), ("[1]", "not an object")])
def test_a_malformed_names_file_says_what_is_wrong(tmp_path, text, message):
    (tmp_path / "starnames.json").write_text(text)
    with pytest.raises(HeliosError, match=message):
        read_starnames(tmp_path / "starnames.json")


def test_a_gaia_universe_is_cross_matched_to_hipparcos_by_position(gaia_like_universe, sample_universe, starnames):
    universe, hip_of = gaia_like_universe
    assert json.loads((universe / "index.json").read_text())["ids"] == "gaia_dr3"
    names, exact = star_names(universe, starnames), star_names(sample_universe, starnames)
    assert names["ids"] == "gaia_dr3" and names["matched"].startswith("by position")
    index = json.loads((universe / "index.json").read_text())
    ids = {entry["id"]: pq.read_table(universe / entry["file"], columns=["source_id"]).column("source_id").to_pylist()
           for entry in index["cells"]}
    table = names["hip"]
    pairs = {h: hip_of[ids[names["cells"][c][0]][r]] for h, c, r in zip(table[0::3], table[1::3], table[2::3])}
    wrong = {h: p for h, p in pairs.items() if h != p}
    assert not wrong, f"paired with another star: {list(wrong.items())[:5]}"
    assert len(pairs) >= 0.99 * index["star_count"], (len(pairs), index["star_count"])  # Hp vs V, places rounded to 0.36"
    assert {s["hip"] for s in names["stars"]} <= {s["hip"] for s in exact["stars"]}
    assert len(names["stars"]) >= 0.99 * len(exact["stars"])
