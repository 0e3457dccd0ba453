"""helios render and the photometric truth of the assembled universe (the embedded Hipparcos sample)."""

import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

from helios import photometry
from helios.cameras import pinhole
from helios.errors import HeliosError
from helios.landmarks import find_landmark, load_landmarks
from helios.measure import project, sky_photometry
from helios.render.points import render_points
from helios.render.sky import render_sky
from helios.universe import Universe, find_universe


@pytest.fixture
def universe_dir(sample_universe):
    return sample_universe


def all_stars(universe):
    cells = [universe.read(entry) for entry in universe.cells]
    return (np.concatenate([c.positions for c in cells]), np.concatenate([c.colours for c in cells]),
            np.concatenate([c.abs_mag for c in cells]))


def test_the_universe_is_found_in_a_build_output_a_workflow_output_or_where_its_config_says(universe_dir, tmp_path):
    assert find_universe(universe_dir) == universe_dir
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "universe").symlink_to(universe_dir)
    assert find_universe(tmp_path / "results") == tmp_path / "results" / "universe"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "helios-config.yaml").write_text(yaml.safe_dump({"universe_dir": str(universe_dir)}))
    assert find_universe(tmp_path / "elsewhere") == universe_dir
    with pytest.raises(HeliosError, match="no universe here"):
        find_universe(tmp_path)
    with pytest.raises(HeliosError, match="no such directory"):
        find_universe(tmp_path / "missing")


def test_cells_are_stored_brightest_first(universe_dir):
    universe = Universe(universe_dir)
    for entry in universe.cells:
        abs_mag = universe.read(entry).abs_mag
        assert np.all(np.diff(abs_mag) >= 0), entry["id"]


@pytest.mark.parametrize("eye, target", [((0, 0, 0), (-50, 300, -40)), ((30, -20, 5), (0, 0, 0)), ((400, 400, 100), (800, 800, 200))])
def test_skipping_cells_out_of_view_loses_no_light(universe_dir, eye, target):
    universe = Universe(universe_dir)
    views = pinhole(np.asarray(eye, float), np.asarray(target, float), 50.0, 96, 64)
    culled = render_sky(universe, views)
    everything = render_points(*all_stars(universe), views)[0].numpy()
    assert len(universe.cells_in_view(views)) < len(universe.cells)
    assert np.allclose(culled[0], everything, rtol=1e-5, atol=1e-12)
    assert everything.sum() > 0


def test_every_bright_star_recovers_its_catalogue_magnitude_from_the_sun(universe_dir):
    result = sky_photometry(Universe(universe_dir), np.zeros(3), brighter_than=5.0, size=2048)
    assert len(result.error) > 1000 and len(set(result.cell)) > 20
    assert np.allclose(result.expected_mag, result.catalogue_mag, atol=1e-5)  # from the Sun, the catalogue's own magnitudes
    assert np.nanmax(np.abs(result.error)) < 0.05 and not np.isnan(result.error).any()
    raw = result.measured_mag - result.expected_mag
    assert result.isolated.sum() > 0.5 * len(raw) and np.abs(raw[result.isolated]).max() < 0.05


def test_the_photometric_check_fails_when_one_cell_is_on_another_scale(universe_dir):
    universe = Universe(universe_dir)
    victim = max(universe.cells, key=lambda e: e["star_count"])["id"]

    def brighten_one_cell(u, views):  # a renderer that puts one cell 0.1 mag too bright
        image = np.zeros((1, views.height, views.width, 3))
        for entry in u.cells_in_view(views):
            cell = u.read(entry)
            shift = -0.1 if entry["id"] == victim else 0.0
            image += render_points(cell.positions, cell.colours, cell.abs_mag + shift, views).numpy()
        return image

    result = sky_photometry(universe, np.zeros(3), brighter_than=5.0, size=1024, render=brighten_one_cell)
    wrong = np.abs(result.error) > 0.05
    assert wrong.any() and set(result.cell[wrong]) == {victim}


def run_render(*args):
    return subprocess.run([sys.executable, "-m", "helios.cli", "render", *map(str, args)], capture_output=True, text=True)


def test_render_command_writes_linear_flux_and_a_tone_mapped_png(universe_dir, tmp_path):
    npy, png = tmp_path / "orion.npy", tmp_path / "orion.png"
    camera = ["--from", "sun", "--look-at", "betelgeuse", "--fov", "40", "--size", "160", "90", "--glare", "0"]  # the core alone
    done = run_render(universe_dir, *camera, "--output", npy)
    assert done.returncode == 0, done.stderr
    image = np.load(npy)
    assert image.shape == (90, 160, 3) and image.dtype == np.float32
    # Betelgeuse (HIP 27989, Hp 0.58) sits in the middle; the image holds the light of the stars in the field
    universe = Universe(universe_dir)
    views = pinhole(np.zeros(3), universe.landmark_position(find_landmark(load_landmarks(), "Betelgeuse")), 40.0, 160, 90)
    positions, colours, abs_mag = all_stars(universe)
    x, y, depth = project(positions, views)
    flux = photometry.flux_from_magnitude(photometry.apparent_magnitude(abs_mag, np.linalg.norm(positions, axis=1)))
    well_inside = (depth > 0) & (x > 4) & (x < 156) & (y > 4) & (y < 86)  # all their light is in the image
    touching = (depth > 0) & (x > -4) & (x < 164) & (y > -4) & (y < 94)  # some of their light may be
    total = photometry.luminance(image.sum(axis=(0, 1), dtype=np.float64))
    assert flux[well_inside].sum() * (1 - 1e-6) <= total <= flux[touching].sum() * (1 + 1e-6)
    assert photometry.luminance(image[40:50, 75:85].sum(axis=(0, 1), dtype=np.float64)) > 0.5  # Betelgeuse, flux ~0.6
    done = run_render(universe_dir, *camera, "--output", png)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_at_another_epoch_moves_the_stars(universe_dir, tmp_path):
    """Betelgeuse's proper motion (about 30 mas/yr) carries it some 4 degrees in 500 kyr: the bright spot leaves the centre."""
    camera = ["--from", "sun", "--look-at", "betelgeuse", "--fov", "40", "--size", "160", "90", "--glare", "0"]
    now, later = tmp_path / "now.npy", tmp_path / "later.npy"
    assert run_render(universe_dir, *camera, "--output", now).returncode == 0
    done = run_render(universe_dir, *camera, "--epoch", str(1991.25 + 5e5), "--output", later)
    assert done.returncode == 0, done.stderr
    assert "at epoch 501991" in done.stdout and "stars moved +500 kyr from the universe's epoch 1991.25" in done.stderr
    centre = (slice(40, 50), slice(75, 85))
    assert photometry.luminance(np.load(now)[centre].sum(axis=(0, 1))) > 0.5
    assert photometry.luminance(np.load(later)[centre].sum(axis=(0, 1))) < 0.05
    assert run_render(universe_dir, *camera, "--epoch", "1e9", "--output", later).returncode != 0


@pytest.mark.parametrize("args, message", [
    (["--from", "sun", "--look-at", "sun"], "looks at its own position"),
    (["--from", "sun", "--look-at", "Nowhere At All"], "not three coordinates, 'sun' or a landmark name"),
    (["--from", "sun", "--look-at", "0", "0", "5"], "parallel"),
    (["--from", "sun", "--look-at", "1", "0", "0", "--fov", "200"], "between 0 and 180"),
])
def test_render_command_errors_are_clear_and_leave_no_file(universe_dir, tmp_path, args, message):
    out = tmp_path / "image.npy"
    done = run_render(universe_dir, *args, "--output", out)
    assert done.returncode != 0 and message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()


def test_render_command_rejects_an_unknown_output_type(universe_dir, tmp_path):
    done = run_render(universe_dir, "--from", "sun", "--look-at", "1", "0", "0", "--output", tmp_path / "image.jpg")
    assert done.returncode != 0 and "give a .npy" in done.stderr and not (tmp_path / "image.jpg").exists()


def test_render_command_draws_far_cells_at_their_clustered_levels_and_keeps_the_light(universe_dir, tmp_path):
    # The whole sample in the frame: a coarse level's Gaussians spread its (invisible) light over the cell, some of it
    # past the edges of a narrower frame (3 % of the flux at 5 degrees).
    camera = ["--from", "0", "0", "20000", "--look-at", "sun", "--up", "1", "0", "0", "--fov", "20", "--size", "128", "128"]
    done = run_render(universe_dir, *camera, "--output", tmp_path / "plain.npy")
    assert done.returncode == 0 and "has no trained levels" in done.stderr, done.stderr
    done = run_render(universe_dir, *camera, "--clustered", "--output", tmp_path / "levels.npy")
    assert done.returncode == 0, done.stderr
    assert "cells drawn by level (docs/levels.md; clustered Gaussians)" in done.stderr and "0.01:" in done.stderr
    done = run_render(universe_dir, *camera, "--points", "--output", tmp_path / "points.npy")
    assert done.returncode == 0, done.stderr
    levels, points = np.load(tmp_path / "levels.npy"), np.load(tmp_path / "points.npy")
    assert not np.array_equal(levels, points) and np.array_equal(np.load(tmp_path / "plain.npy"), points)
    assert levels.sum(dtype=np.float64) == pytest.approx(points.sum(dtype=np.float64), rel=0.01)


SUN_TO_BETELGEUSE = ["--from", "sun", "--look-at", "betelgeuse"]


@pytest.mark.parametrize("args, message", [
    ([*SUN_TO_BETELGEUSE, "--size", "100000", "100000"],
     "--size 100000 100000: at most 16384 px a side and 67,108,864 px"),
    ([*SUN_TO_BETELGEUSE, "--size", "16385", "10"], "--size 16385 10: at most 16384 px a side"),
    ([*SUN_TO_BETELGEUSE, "--psf-sigma", "5000"], "--psf-sigma 5000.0: give a number of pixels in (0, 64]"),
    ([*SUN_TO_BETELGEUSE, "--psf-sigma", "0"], "--psf-sigma 0.0: give a number of pixels in (0, 64]"),
    (["--from", "nan", "0", "0", "--look-at", "betelgeuse"], "--from nan 0 0: give finite coordinates"),
    (["--from", "sun", "--look-at", "1", "inf", "0"], "--look-at 1 inf 0: give finite coordinates"),
])
def test_render_refuses_huge_images_wide_psfs_and_non_finite_points(universe_dir, tmp_path, args, message):
    out = tmp_path / "image.npy"
    done = run_render(universe_dir, *args, "--output", out)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith(f"helios: error: {message}"), done.stderr
    assert not out.exists()


@pytest.mark.parametrize("option, values", [
    ("--psf-sigma", ["nan"]), ("--psf-sigma", ["inf"]), ("--limiting-mag", ["nan"]), ("--fov", ["inf"]),
    ("--epoch", ["nan"]), ("--up", ["0", "inf", "1"]),
])
def test_render_refuses_non_finite_numbers_naming_the_option(universe_dir, tmp_path, option, values):
    out = tmp_path / "image.png"
    done = run_render(universe_dir, *SUN_TO_BETELGEUSE, "--size", "32", "18", option, *values, "--output", out)
    bad = next(v for v in values if v in ("nan", "inf"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"argument {option}: must be a finite number, got '{bad}'" in done.stderr, done.stderr
    assert not out.exists()


def test_render_sky_bounds_its_image_and_psf_before_allocating(universe_dir):
    from helios.render.points import RenderError
    from helios.render.sky import render_sky_levels

    universe = Universe(universe_dir)
    huge = pinhole(np.zeros(3), np.array([1.0, 0.0, 0.0]), 60.0, 100_000, 100_000)
    small = pinhole(np.zeros(3), np.array([1.0, 0.0, 0.0]), 60.0, 32, 18)
    with pytest.raises(RenderError, match="image size 100000 x 100000 px: at most 16384 px a side"):
        render_sky(universe, huge)
    with pytest.raises(RenderError, match="image size 100000 x 100000 px"):
        render_sky_levels(universe, huge, source=None)
    for sigma in (float("nan"), float("inf"), 5000.0):
        with pytest.raises(RenderError, match=rf"PSF sigma {sigma} px: give a number of pixels in \(0, 64\]"):
            render_sky(universe, small, sigma)
    with pytest.raises(RenderError, match="limiting magnitude nan: give a finite magnitude"):
        render_sky_levels(universe, small, source=None, limiting_mag=float("nan"))


def test_a_wide_psf_reaches_into_the_image_from_cells_beside_it(universe_dir):
    """Cells are culled with the PSF's reach: a wide PSF loses no light to culling."""
    universe = Universe(universe_dir)
    views = pinhole(np.array([30.0, -20.0, 5.0]), np.zeros(3), 50.0, 96, 64)
    culled = render_sky(universe, views, 12.0)
    everything = render_points(*all_stars(universe), views, 12.0)[0].numpy()
    assert np.allclose(culled[0], everything, rtol=1e-5, atol=1e-12)


def test_render_adapts_the_exposure_to_the_light_in_view(universe_dir, tmp_path):
    """3 kpc above the Galactic plane every star is fainter than 6.5 mag: the adapted exposure goes deeper."""
    found = {}
    for name, camera in (("sun", ["--from", "sun", "--look-at", "betelgeuse"]),
                         ("above", ["--from", "-2603.0", "-594.3", "1368.0", "--look-at", "sun", "--up", "1", "0", "0"])):
        done = run_render(universe_dir, *camera, "--size", "320", "180", "--exposure", "auto", "--output", tmp_path / f"{name}.png")
        assert done.returncode == 0, done.stderr
        found[name] = float(re.search(r"limiting magnitude ([0-9.]+) \(auto\)", done.stdout).group(1))
    assert 6 < found["sun"] < 11 and found["above"] > found["sun"] + 3, found
