"""The report's pictures drawn a shard at a time (helios/report_parts.py): the shards' parts add up to the universe
drawn whole, a part file is read back or refused by name, and the level rule's picture the report shows is
``helios render``'s."""

import numpy as np
import pytest

from helios.build import build
from helios.errors import HeliosError
from helios.grid import Grid
from helios.lod.compare import level_images, level_images_by_fraction
from helios.lod.sources import ClusteredLevels
from helios.outputs import is_helios_file
from helios.render.sky import render_sky, render_sky_levels
from helios.report import SKY_FOV, SKY_SIZE, SKY_VIEWS, sky_parts, universe_view
from helios.report_parts import ReportParts, read_part, sum_parts, write_part
from helios.universe import Universe


@pytest.fixture(scope="module")
def sharded_universe(tmp_path_factory):
    """A synthetic Milky Way in cells of at most 3,000 stars and shards of at most 12,000."""
    root = tmp_path_factory.mktemp("report_parts")
    build([{"kind": "synthetic", "stars": 40_000, "seed": 5, "model": "milky-way", "part": part, "parts": 3} for part in range(3)],
          root / "universe", grid=Grid(max_stars=3000), shard_rows=12_000)
    return Universe(root / "universe")


def shards_of(universe):
    return sorted({cell["shard"] for cell in universe.cells})


def test_the_shards_parts_add_up_to_the_universe_drawn_whole(sharded_universe, tmp_path):
    universe = sharded_universe
    shards = shards_of(universe)
    assert len(shards) >= 4
    for shard in shards:
        write_part(tmp_path / f"{shard}.npz", sky_parts(universe.shard(shard)), shard)
    added = sum_parts(sorted(tmp_path.glob("*.npz")))
    for number, (_title, eye, target, up) in enumerate(SKY_VIEWS):
        whole = render_sky(universe, universe_view(universe, eye, target, up, SKY_FOV, SKY_SIZE))[0]
        assert whole.sum() > 0
        np.testing.assert_allclose(added.image(f"sky/{number}"), whole, rtol=1e-4, atol=1e-7 * whole.max())
    # A shard left out is missed: the check can fail.
    fewer = sum_parts(sorted(tmp_path.glob("*.npz"))[1:])
    whole = render_sky(universe, universe_view(universe, *SKY_VIEWS[0][1:], SKY_FOV, SKY_SIZE))[0]
    assert not np.allclose(fewer.image("sky/0"), whole, rtol=1e-4, atol=1e-7 * whole.max())


def test_a_part_is_read_back_and_anything_else_is_refused_by_name(tmp_path):
    parts = ReportParts({"a": np.full((4, 5, 3), 0.5, np.float32), "visible": np.arange(20).reshape(4, 5)}, {"a/bytes": 16})
    write_part(tmp_path / "one.npz", parts, "shard-000001")
    assert is_helios_file(tmp_path / "one.npz")
    back = read_part(tmp_path / "one.npz")
    assert back.counts == {"a/bytes": 16} and np.array_equal(back.images["visible"], parts.images["visible"])
    twice = sum_parts([tmp_path / "one.npz", tmp_path / "one.npz"])
    assert np.array_equal(twice.image("a"), np.ones((4, 5, 3))) and twice.counts == {"a/bytes": 32}
    np.savez(tmp_path / "users.npz", a=np.zeros(3))  # a user's own file: not HELIOS's, not a part
    assert not is_helios_file(tmp_path / "users.npz")
    with pytest.raises(HeliosError, match="users.npz: not a HELIOS report part"):
        read_part(tmp_path / "users.npz")
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(HeliosError, match="broken.npz: cannot read the report part"):
        read_part(tmp_path / "broken.npz")
    write_part(tmp_path / "other.npz", ReportParts({"b": np.zeros((4, 5, 3), np.float32)}), "shard-000002")
    with pytest.raises(HeliosError, match="other.npz: its images differ"):
        sum_parts([tmp_path / "one.npz", tmp_path / "other.npz"])
    with pytest.raises(HeliosError, match="no image 'c'"):
        twice.image("c")


def test_the_level_rules_picture_is_helios_renders(sharded_universe):
    """The report draws the level rule's picture with level_images (points drawn once for both images); it is
    what helios render draws (render_sky_levels), and its points image is helios render --points."""
    universe, source = sharded_universe, ClusteredLevels()
    views = universe_view(universe, (0.0, 0.0, 3000.0), "sun", (1.0, 0.0, 0.0), 60.0, (160, 120))
    result = level_images(universe, views, None, ("points", "trained"), limiting_mag=12.0, trained=source)
    levels, drawn = render_sky_levels(universe, views, source, limiting_mag=12.0)
    assert sum(count for name, count in drawn.items() if name != "points") > 0 and drawn == result.drawn
    np.testing.assert_allclose(result.images["trained"], levels[0], rtol=1e-4, atol=1e-6 * levels.max())
    np.testing.assert_allclose(result.images["points"], render_sky(universe, views)[0], rtol=1e-4, atol=1e-6 * levels.max())


def test_every_fraction_in_one_pass_is_each_fraction_alone(sharded_universe):
    universe = sharded_universe
    views = universe_view(universe, (0.0, 0.0, 3000.0), "sun", (1.0, 0.0, 0.0), 60.0, (96, 96))
    together = level_images_by_fraction(universe, views, (0.03, 0.1), ("points", "cut", "clustered"), limiting_mag=12.0)
    for fraction in (0.03, 0.1):
        alone = {method: level_images(universe, views, fraction, (method,), limiting_mag=12.0) for method in ("points", "cut", "clustered")}
        for method, result in alone.items():
            np.testing.assert_allclose(together[fraction].images[method], result.images[method], rtol=1e-6, atol=1e-12)
            assert together[fraction].bytes[method] == result.bytes[method]
    assert together[0.03].bytes["cut"] < together[0.1].bytes["cut"] < together[0.1].bytes["points"]
