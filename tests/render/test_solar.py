"""The Sun and the planets in a rendered sky (helios/render/solar.py, helios render --solar-system)."""

import numpy as np
import pytest
import torch

from helios import photometry, solar
from helios.cameras import pinhole
from helios.render.solar import add_solar_system
from tests.render.test_sky import run_render

pytest.importorskip("skyfield", reason="skyfield is not installed (pip install -e .)")


def test_each_body_adds_the_light_of_its_apparent_magnitude_at_its_place():
    """From 2 au above the Sun, the image's light around each body is its flux: the Sun's and Mars's."""
    eye = np.array([0.0, 0.0, 2 * solar.AU_PC])
    views = pinhole(eye, np.zeros(3), 150.0, 801, 801, np.array([0.0, 1.0, 0.0]))
    image = add_solar_system(torch.zeros((1, 801, 801, 3), dtype=torch.float64), views, 2000.0)[0].numpy()
    seen = solar.bodies(2000.0, eye)
    luminance = photometry.luminance(image)
    view, K = views.viewmats[0].numpy(), views.Ks[0].numpy()
    for name in ("sun", "mars"):
        place = seen["positions_pc"][seen["names"].index(name)]
        cam = view[:3, :3] @ place + view[:3, 3]
        u, v = (cam[:2] / cam[2] * K[0, 0] + K[:2, 2]).astype(int)
        distance = np.linalg.norm(place - eye)
        expected = photometry.flux_from_magnitude(photometry.apparent_magnitude(seen["abs_mag"][seen["names"].index(name)], distance))
        assert luminance[v - 5:v + 6, u - 5:u + 6].sum() == pytest.approx(expected, rel=1e-3), name


def test_render_draws_them_on_request_and_refuses_an_epoch_outside_de421(sample_universe, tmp_path):
    camera = ["--from", "0", "-1e-12", "1e-5", "--look-at", "sun", "--up", "0", "1", "0", "--fov", "90", "--size", "64", "64", "--glare", "0"]
    plain, solar_npy = tmp_path / "plain.npy", tmp_path / "solar.npy"
    assert run_render(sample_universe, *camera, "--output", plain).returncode == 0
    done = run_render(sample_universe, *camera, "--solar-system", "--output", solar_npy)
    assert done.returncode == 0, done.stderr
    added = photometry.luminance(np.load(solar_npy) - np.load(plain)).sum()
    sun = photometry.flux_from_magnitude(photometry.apparent_magnitude(solar.SUN_ABS_MAG_V, 0.00001))
    assert added == pytest.approx(sun, rel=0.01)  # the Sun, 2 au away, outshines the planets a million times
    late = run_render(sample_universe, *camera, "--solar-system", "--epoch", "2100", "--output", tmp_path / "late.npy")
    assert late.returncode != 0 and "DE421, which spans 1899.57 to 2053.77" in late.stderr and not (tmp_path / "late.npy").exists()


def test_a_tour_draws_them_where_its_keyframe_asks(sample_universe, tmp_path):
    """solar=1 holds from its keyframe to the next, in helios render --tour as in the client (client/src/tour.js)."""
    import json

    import matplotlib.image

    view = "from=0,-0.0000058,0.0000133&lookat=sun&up=0,1,0&fov=80&mag=6&glare=0"
    (tmp_path / "tour.json").write_text(json.dumps({"keyframes": [{"t": 0, "view": view + "&solar=1"}, {"t": 1, "view": view}]}))
    done = run_render(sample_universe, "--tour", tmp_path / "tour.json", "--fps", "1", "--size", "64", "36", "--output", tmp_path / "frames")
    assert done.returncode == 0, done.stderr
    first, last = (matplotlib.image.imread(tmp_path / "frames" / f"frame_0000{i}.png")[..., :3] for i in (0, 1))
    assert first[17:19, 31:33].min() == 1.0 and last[17:19, 31:33].max() < 0.5  # the Sun at the centre, then gone


def test_minor_planets_add_the_light_of_their_hg_magnitude_at_their_place(tmp_path):
    """The embedded minor planets from the Earth on 2026 January 1: the light around Ceres and Vesta is the flux of
    their H-G magnitude seen from there (helios render --solar-system draws a directory's minor_planets.bin)."""
    from helios import minor_planets as mp

    directory = mp.build_minor_planets(mp.BUILTIN, tmp_path / "minor_planets.bin")
    table = mp.read_minor_planets(tmp_path / "minor_planets.bin")
    year = 2026.0
    earth = solar.heliocentric_au(year)["earth"]
    eye = earth * solar.AU_PC
    places, abs_mag = mp.seen_from(*table, year, earth)
    for number in (1, 4):
        k = int(np.flatnonzero(table[1]["number"] == number)[0])
        views = pinhole(eye, places[k] * solar.AU_PC, 2.0, 101, 101, np.array([0.0, 0.0, 1.0]))
        image = add_solar_system(torch.zeros((1, 101, 101, 3), dtype=torch.float64), views, year, minor_planets=table)[0].numpy()
        V = mp.hg_magnitude(table[1]["h"][k], table[1]["g"][k], places[k], places[k] - earth)
        assert 5 < V < 9.5  # Ceres and Vesta as binoculars show them
        assert photometry.luminance(image)[45:56, 45:56].sum() == pytest.approx(photometry.flux_from_magnitude(V), rel=1e-3), number
    assert directory["count"] == 29


def test_a_planet_s_orbit_line_is_drawn_through_it_from_close_by():
    """From 30 radii of Jupiter, looking at it: its orbit line (which passes through its place) crosses the image
    centre; clipped 0.2 au in front of the camera, as the constellation lines are, it did not show there."""
    from helios.render.solar import draw_orbits

    epoch = 2026.0
    jupiter = solar.heliocentric_au(epoch)["jupiter"] * solar.AU_PC
    side = np.cross(jupiter, [0.0, 0.0, 1.0])
    eye = jupiter + 30 * solar.RADIUS_KM["jupiter"] * solar.KM_PC * side / np.linalg.norm(side)
    views = pinhole(eye, jupiter, 30.0, 320, 180)
    drawn = draw_orbits(np.zeros((180, 320, 3), np.uint8), views, epoch)
    near_centre = drawn[80:100, 150:170].max(axis=-1)
    assert (near_centre > 0).sum() >= 10, np.argwhere(drawn.max(axis=-1) > 0)[:5]
