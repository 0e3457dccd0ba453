"""Thin lines over a displayed image (the constellation figures), drawn as the browser client's WebGL lines are
(``client/src/constellations.js``), so that its screenshot matches ``helios render --constellations``.

A segment between two points of the universe is clipped to the camera's view frustum (the four planes through the
eye and the image's edges, as WebGL clips a line against ``-w <= x, y <= w``, and a plane ``NEAR_PC`` in front of
the eye), projected like a star (pixel ``(f x / z + W / 2, f y / z + H / 2)``, y down) and rasterised one pixel per
column (one per row where it is steeper than 45 degrees): the pixel whose centre's column (row) the segment crosses
at that centre, the last end left out, as OpenGL's diamond-exit rule draws a one-pixel line.  Its colour is added to the display values and
clamped, like the client's additive blending over the tone-mapped image.
"""

from __future__ import annotations

import numpy as np

from helios.cameras import Views

#: The constellation lines' colour, added to the display's sRGB values (client/src/constellations.js LINE_RGB).
LINE_RGB = (38, 64, 110)
#: The IAU constellation boundaries' colour (client/src/constellations.js BOUNDARY_RGB).
BOUNDARY_RGB = (72, 40, 40)
#: The planets' orbits (helios/solar.py orbit_segments; the client's ORBIT_RGB).
ORBIT_RGB = (64, 58, 30)
#: Segments are clipped this far in front of the camera (pc), as the client clips them (NEAR_PC there).
NEAR_PC = 1e-6
#: The planets' orbit lines, this far (pc; 3,100 km; the client's ORBIT_NEAR_PC): drawn up to a camera at a planet,
#: whose line passes through it (0.2 au, NEAR_PC, hid the line within 0.2 au of the camera).
ORBIT_NEAR_PC = 1e-10


def _clip_to_frustum(a: np.ndarray, b: np.ndarray, focal: float, width: int, height: int,
                     near: float = NEAR_PC) -> tuple[np.ndarray, np.ndarray] | None:
    """The part of the camera-frame segment ``a b`` inside the view frustum (its near plane ``near`` pc in front of
    the eye), or ``None`` (Liang-Barsky on its planes)."""
    t0, t1 = 0.0, 1.0
    planes = [(a[2] - near, b[2] - near)]  # each plane's value at a and at b, >= 0 inside
    planes += [(half * a[2] - sign * focal * a[axis], half * b[2] - sign * focal * b[axis])
               for axis, half in ((0, width / 2), (1, height / 2)) for sign in (1.0, -1.0)]
    for da, db in planes:
        if da < 0 and db < 0:
            return None
        if da < 0 or db < 0:
            t = da / (da - db)
            if da < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    if t0 >= t1:
        return None
    return a + t0 * (b - a), a + t1 * (b - a)


def _pixels(u0: float, v0: float, u1: float, v1: float, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The pixels (columns, rows) of the segment from ``(u0, v0)`` to ``(u1, v1)`` (pixel coordinates, centres at
    half-integers): one per column whose centre lies in [u0, u1), or per row when it is steeper."""
    steep = abs(v1 - v0) > abs(u1 - u0)
    if steep:  # walk the rows: swap the roles of x and y
        u0, v0, u1, v1 = v0, u0, v1, u1
    if u1 < u0:
        u0, v0, u1, v1 = u1, v1, u0, v0
    first, last = int(np.ceil(u0 - 0.5)), int(np.ceil(u1 - 0.5))  # centres c + 0.5 with u0 <= c + 0.5 < u1
    columns = np.arange(first, last)
    if columns.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.floor(v0 + (columns + 0.5 - u0) * (v1 - v0) / (u1 - u0)).astype(np.int64)
    x, y = (rows, columns) if steep else (columns, rows)
    inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
    return x[inside], y[inside]


def draw_segments(display: np.ndarray, starts: np.ndarray, ends: np.ndarray, views: Views, rgb: tuple[int, int, int] = LINE_RGB,
                  near: float = NEAR_PC) -> np.ndarray:
    """``display`` (``[H, W, 3]`` 8-bit, camera 0 of ``views``) with the segments from ``starts`` to ``ends`` (``[N, 3]``
    pc, the universe's frame) added in ``rgb`` and clamped at 255, clipped ``near`` pc in front of the eye; a new array."""
    out = np.array(display, dtype=np.int32, copy=True)
    height, width = out.shape[:2]
    rotation = views.viewmats[0, :3, :3].double().numpy()
    translation = views.viewmats[0, :3, 3].double().numpy()
    focal = float(views.Ks[0, 0, 0])
    colour = np.asarray(rgb, np.int32)
    a_cam = np.asarray(starts, np.float64) @ rotation.T + translation
    b_cam = np.asarray(ends, np.float64) @ rotation.T + translation
    for a, b in zip(a_cam, b_cam, strict=True):
        clipped = _clip_to_frustum(a, b, focal, width, height, near)
        if clipped is None:
            continue
        (ua, va), (ub, vb) = ((focal * p[0] / p[2] + width / 2, focal * p[1] / p[2] + height / 2) for p in clipped)
        x, y = _pixels(ua, va, ub, vb, width, height)
        out[y, x] += colour
    return np.minimum(out, 255).astype(np.uint8)
