"""Lines over the displayed image, drawn as the client's WebGL lines are."""

from __future__ import annotations

import numpy as np

from helios.cameras import pinhole
from helios.render.lines import LINE_RGB, draw_segments


def camera(width=64, height=48):
    """At the origin looking along +x, +z up: a point (d, -y, -z) lands at pixel (f y / d + W/2, f z / d + H/2)."""
    return pinhole(np.zeros(3), np.array([1.0, 0, 0]), 90.0, width, height)


def test_a_level_segment_is_one_pixel_per_column_between_its_ends():
    views = camera()  # f = 32 px
    blank = np.zeros((48, 64, 3), np.uint8)
    drawn = draw_segments(blank, np.array([[10.0, 5.0, -2.0]]), np.array([[10.0, -5.0, -2.0]]), views)
    rows, columns = np.nonzero(drawn[..., 0])
    # ends at u = 32 -/+ 16 = 16 and 48, v = 24 + 6.4: the centres 16.5 ... 47.5, the last end left out
    assert set(rows) == {30} and list(columns) == list(range(16, 48))
    assert (drawn[rows, columns] == LINE_RGB).all()


def test_lines_add_to_the_image_and_clamp():
    views = camera()
    grey = np.full((48, 64, 3), 200, np.uint8)
    drawn = draw_segments(grey, np.array([[10.0, 5.0, 0.0]]), np.array([[10.0, -5.0, 0.0]]), views)
    assert drawn[24, 20].tolist() == [200 + LINE_RGB[0], 255, 255] and drawn[10, 20].tolist() == [200, 200, 200]


def test_a_segment_running_behind_the_camera_keeps_only_what_is_in_front():
    """From a point ahead, slightly below, to one behind the camera: the part in view is drawn from its end to the
    image's edge, nothing of the part behind; a segment wholly behind draws nothing."""
    views = camera()
    blank = np.zeros((48, 64, 3), np.uint8)
    ahead, behind = np.array([10.0, 0.0, -1.0]), np.array([-10.0, 0.0, -1.0])
    drawn = draw_segments(blank, ahead[None], behind[None], views)
    rows, columns = np.nonzero(drawn[..., 0])
    assert set(columns) == {32} and rows.min() == 27 and rows.max() == 47  # v = 24 + 3.2 at the end, then down to the edge
    assert not draw_segments(blank, behind[None], (behind + [0, 3, 0])[None], views).any()
