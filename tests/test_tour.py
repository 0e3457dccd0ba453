"""Tours: keyframes of views eased between them (helios/tour.py), rendered frame by frame by `helios render --tour`."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from helios.cameras import pinhole
from helios.cli import _camera_point, _with_constellations
from helios.landmarks import BUILTIN
from helios.photometry import DEFAULT_GLARE, display_image
from helios.render.glare import apply_glare
from helios.render.sky import render_sky
from helios.tour import TourError, frame_times, parse_tour, pose_at
from helios.universe import Universe

TOUR = {"keyframes": [{"t": 0, "view": "from=sun&lookat=Betelgeuse&fov=60&mag=6.5&lines=1"},
                      {"t": 1, "view": "from=0,0,100&lookat=sun&fov=30&mag=8&up=1,0,0&epoch=12016"}]}


def resolve(point, key):
    return np.zeros(3) if point == "sun" else np.array([10.0, 20.0, 5.0]) if isinstance(point, str) else np.asarray(point)


def test_a_tour_starts_and_ends_at_its_keyframes_and_eases_between():
    tour = parse_tour(TOUR, "tour.json")
    start, middle, end, after = (pose_at(tour, t, resolve, 2016.0) for t in (0.0, 0.5, 1.0, 7.0))
    assert np.allclose(start.eye, 0) and np.allclose(start.forward, np.array([10, 20, 5]) / np.linalg.norm([10, 20, 5]))
    assert start.fov == pytest.approx(60) and start.mag == 6.5 and start.epoch == 2016.0 and start.lines
    assert np.allclose(end.eye, [0, 0, 100]) and np.allclose(end.forward, [0, 0, -1]) and np.allclose(end.up, [1, 0, 0])
    assert end.fov == pytest.approx(30) and end.mag == pytest.approx(8) and end.epoch == pytest.approx(12016) and not end.lines
    assert np.allclose(middle.eye, [0, 0, 50]) and middle.fov == pytest.approx(np.sqrt(60 * 30))  # smoothstep(0.5) = 0.5
    assert middle.epoch == pytest.approx(7016) and middle.mag == pytest.approx(7.25) and middle.lines  # A's until B
    assert np.allclose(after.eye, end.eye) and frame_times(tour, 4) == [0, 0.25, 0.5, 0.75, 1.0]
    eased = pose_at(tour, 0.1, resolve, 2016.0).eye[2]
    assert eased == pytest.approx(100 * (0.1 ** 2 * (3 - 0.2)))  # the warps' smoothstep: slow start


@pytest.mark.parametrize("document,message", [
    ({"frames": []}, "tour.json: keyframes: give a list of at least one"),
    ({"keyframes": [{"t": 0, "view": "from=sun"}, {"t": 0, "view": "from=sun"}]}, "keyframes[1].t: 0 is not after the keyframe before it"),
    ({"keyframes": [{"t": 0, "view": "from=sun&fov=0"}]}, "keyframes[0].view: URL fov=0: not a valid number here"),
    ({"keyframes": [{"t": 0, "view": "from=sun&zoom=2"}]}, "keyframes[0].view: unknown view parameter 'zoom'"),
    ({"keyframes": [{"t": None, "view": "from=sun"}]}, "keyframes[0].t: give the keyframe's time in seconds (a number), not None"),
])
def test_a_malformed_tour_names_the_field(document, message):
    with pytest.raises(TourError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(").replace(")", r"\)")):
        parse_tour(document, "tour.json")


def render(*args):
    return subprocess.run([sys.executable, "-m", "helios.cli", "render", *map(str, args)], capture_output=True, text=True)


@pytest.mark.slow
def test_render_tour_writes_each_frame_as_a_single_render_draws_it_and_a_video(sample_universe, tmp_path):
    """The first frame is the picture `helios render` draws of the first view (lines included), the last the last's; the video
    holds every frame; a bad tour leaves nothing behind."""
    (tmp_path / "tour.json").write_text(json.dumps({"keyframes": [
        {"t": 0, "view": "from=sun&lookat=Betelgeuse&fov=60&mag=6.5&lines=1"}, {"t": 0.5, "view": "from=sun&lookat=Rigel&fov=40&mag=7"}]}))
    done = render(sample_universe, "--tour", tmp_path / "tour.json", "--fps", 6, "--size", 96, 64, "--output", tmp_path / "frames",
                  "--video", tmp_path / "tour.mp4")
    assert done.returncode == 0, done.stderr
    frames = sorted((tmp_path / "frames").glob("frame_*.png"))
    assert len(frames) == 4 and "4 frames of 96 x 64 at 6 fps" in done.stdout
    universe = Universe(sample_universe)
    for frame, (target, fov, mag, lines) in ((frames[0], ("Betelgeuse", 60, 6.5, True)), (frames[-1], ("Rigel", 40, 7, False))):
        views = pinhole(np.zeros(3), _camera_point([target], "--look-at", universe, BUILTIN), fov, 96, 64)
        single = display_image(apply_glare(render_sky(universe, views)[0], DEFAULT_GLARE, limiting_mag=mag), mag)  # what helios render draws
        single = _with_constellations(single, universe, views) if lines else single
        assert np.array_equal(np.round(matplotlib.image.imread(frame)[..., :3] * 255).astype(np.uint8), single)
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(tmp_path / "tour.mp4"))
    meta = next(reader)
    assert meta["size"] == (96, 64) and sum(1 for _ in reader) == 4
    again = render(sample_universe, "--tour", tmp_path / "tour.json", "--fps", 6, "--size", 96, 64, "--output", tmp_path / "frames")
    assert again.returncode == 0, again.stderr  # its own frames directory is replaced
    users = tmp_path / "holiday"
    users.mkdir()
    (users / "photo.png").write_bytes(b"a user's file")
    (tmp_path / "film.mp4").write_bytes(b"a user's video")
    for output, message in ((["--output", users], "HELIOS replaces only its own outputs"),
                            (["--output", tmp_path / "frames2", "--video", tmp_path / "film.mp4"], "HELIOS overwrites only its own outputs")):
        refused = render(sample_universe, "--tour", tmp_path / "tour.json", "--fps", 6, "--size", 96, 64, *output)
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr
    assert (users / "photo.png").read_bytes() == b"a user's file" and sorted(users.iterdir()) == [users / "photo.png"]
    assert (tmp_path / "film.mp4").read_bytes() == b"a user's video" and not (tmp_path / "frames2").exists()
    (tmp_path / "bad.json").write_text(json.dumps({"keyframes": [{"t": 0, "view": "from=sun&lookat=Nowhere"}]}))
    bad = render(sample_universe, "--tour", tmp_path / "bad.json", "--output", tmp_path / "bad")
    assert bad.returncode == 1 and "Nowhere" in bad.stderr and "Traceback" not in bad.stderr and not (tmp_path / "bad").exists()
