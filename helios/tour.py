"""Tours: keyframes, each a time and a view in the URL's own terms, eased between them (client/src/tour.js).

    {"keyframes": [{"t": 0, "view": "from=sun&lookat=Betelgeuse&fov=60"}, {"t": 8, "view": "from=M 45&lookat=sun"}]}

A view takes the client's URL parameters (``docs/client.md``): ``from``, ``lookat``, ``fov``, ``up``, ``mag``,
``glare``, ``epoch`` set the camera and the picture; ``lines``, ``names``, ``bounds``, ``solar`` hold from their keyframe to the
next; ``hud`` and ``budget`` are the page's own.  Between keyframes A and B, with ``s`` the warps' smoothstep of
the time between them: the camera moves along the straight line from A's place to B's, its view direction and up
turn from A's to B's (normalised linear blends, as a warp turns), the field of view is eased in its logarithm,
the limiting magnitude, glare and epoch linearly.  A view without ``mag`` adapts its exposure, and so does a
stretch with such a keyframe at either end; without ``glare``, the default; without ``epoch``, the universe's.
Before the first keyframe and after the last the view holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import numpy as np

from helios.errors import HeliosError
from helios.files import load_json
from helios.photometry import DEFAULT_GLARE

#: URL parameters a view may hold (client/src/viewstate.js); the last four are booleans.
VIEW_KEYS = ("from", "lookat", "fov", "up", "mag", "glare", "epoch", "hud", "budget", "lines", "names", "bounds", "solar")


#: Three numbers, as the client tells coordinates from a name.
POINT = re.compile(r"[-+0-9.eE]+,[-+0-9.eE]+,[-+0-9.eE]+")


class TourError(HeliosError):
    pass


@dataclass(frozen=True)
class View:
    """One keyframe's view: points unresolved (three numbers, or a name as in the URL)."""

    eye: str | tuple[float, float, float] = "sun"
    target: str | tuple[float, float, float] = "M 42 (Orion Nebula)"
    fov: float = 60.0
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    mag: float | None = None
    glare: float | None = None
    epoch: float | None = None
    lines: bool = False
    names: bool = False
    bounds: bool = False
    solar: bool = False


@dataclass(frozen=True)
class Pose:
    """The camera and picture at one moment of a tour."""

    eye: np.ndarray
    forward: np.ndarray
    up: np.ndarray
    fov: float
    mag: float | None
    glare: float
    epoch: float
    lines: bool
    bounds: bool
    solar: bool = False


def _number(text: str, key: str, where: str, check: Callable[[float], bool] = lambda v: True) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if text.strip() == "" or not math.isfinite(value) or not check(value):
        raise TourError(f"{where}: URL {key}={text}: not a valid number here")
    return value


def _triple(text: str, key: str, where: str) -> tuple[float, float, float]:
    parts = text.split(",")
    if len(parts) != 3:
        raise TourError(f"{where}: URL {key}={text}: give three numbers X,Y,Z")
    return tuple(_number(p, key, where) for p in parts)  # type: ignore[return-value]


def parse_view(query: str, where: str) -> View:
    """A view from its URL query (with or without the leading ``?``), as the client's ``parseView`` reads it."""
    if not isinstance(query, str):
        raise TourError(f"{where}: give the view as a URL query string, e.g. \"from=sun&lookat=Betelgeuse&fov=60\"")
    values: dict[str, Any] = {}
    for key, text in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if key not in VIEW_KEYS:
            raise TourError(f"{where}: unknown view parameter {key!r} (known: {', '.join(VIEW_KEYS)})")
        if key in ("from", "lookat"):
            text = text.strip()
            values["eye" if key == "from" else "target"] = _triple(text, key, where) if POINT.fullmatch(text) else text
        elif key == "fov":
            values["fov"] = _number(text, key, where, lambda v: 0 < v < 180)
        elif key == "up":
            values["up"] = _triple(text, key, where)
        elif key == "mag":
            values["mag"] = _number(text, key, where)
        elif key == "glare":
            values["glare"] = _number(text, key, where, lambda v: 0 <= v < 1)
        elif key == "epoch":
            values["epoch"] = _number(text, key, where, lambda v: abs(v) <= 1e6)
        elif key in ("lines", "names", "bounds", "solar"):
            if text not in ("0", "1"):
                raise TourError(f"{where}: URL {key}={text}: give 1 (show) or 0 (hide)")
            values[key] = text == "1"
    return View(**values)


@dataclass(frozen=True)
class Tour:
    times: tuple[float, ...]
    views: tuple[View, ...]

    @property
    def duration(self) -> float:
        return self.times[-1] - self.times[0]


def parse_tour(document: Any, label: str) -> Tour:
    """A tour from its JSON document; a clear error naming the field for anything malformed."""
    if not isinstance(document, dict) or not isinstance(document.get("keyframes"), list) or not document["keyframes"]:
        raise TourError(f"{label}: keyframes: give a list of at least one {{\"t\": seconds, \"view\": \"from=...&lookat=...\"}}")
    times, views = [], []
    for i, frame in enumerate(document["keyframes"]):
        where = f"{label}: keyframes[{i}]"
        if not isinstance(frame, dict):
            raise TourError(f"{where}: give an object with t and view")
        t = frame.get("t")
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise TourError(f"{where}.t: give the keyframe's time in seconds (a number), not {t!r}")
        if times and t <= times[-1]:
            raise TourError(f"{where}.t: {t} is not after the keyframe before it ({times[-1]:g}): times must increase")
        if "view" not in frame:
            raise TourError(f"{where}.view: missing (a URL query, e.g. \"from=sun&lookat=Betelgeuse&fov=60\")")
        times.append(float(t))
        views.append(parse_view(frame["view"], f"{where}.view"))
    return Tour(tuple(times), tuple(views))


def load_tour(path: str | Path) -> Tour:
    """The tour in the JSON file ``path``; a missing or unreadable file, or a malformed tour, a clear error."""
    return parse_tour(load_json(path, "tour file"), str(path))


def _smoothstep(t: float) -> float:
    return t * t * (3 - 2 * t)


def _blend(a: np.ndarray, b: np.ndarray, s: float) -> np.ndarray:
    """The normalised linear blend of unit vectors (a warp's turn); ``a`` or ``b`` where it vanishes (opposite)."""
    mixed = a * (1 - s) + b * s
    length = np.linalg.norm(mixed)
    return mixed / length if length > 1e-12 else (a if s < 0.5 else b)


def pose_at(tour: Tour, t: float, resolve: Callable[[str | tuple[float, float, float], str], np.ndarray], epoch: float) -> Pose:
    """The tour's pose at time ``t`` (s, the keyframes' clock); ``resolve(point, key)`` gives a point's position,
    ``epoch`` the universe's (a view without ``epoch``)."""
    times = tour.times
    later = next((i for i, when in enumerate(times) if when > t), len(times))
    a = max(later - 1, 0)
    b = min(later, len(times) - 1)
    s = 0.0 if a == b else _smoothstep((t - times[a]) / (times[b] - times[a]))
    va, vb = tour.views[a], tour.views[b]
    eye_a, eye_b = (np.asarray(resolve(v.eye, "from"), np.float64) for v in (va, vb))
    forward_a, forward_b = (np.asarray(resolve(v.target, "lookat"), np.float64) - e for v, e in ((va, eye_a), (vb, eye_b)))
    for forward, i in ((forward_a, a), (forward_b, b)):
        if not np.linalg.norm(forward) > 0:
            raise TourError(f"keyframes[{i}]: the camera looks at its own position: give a look-at point away from it")
    up = _blend(*(np.asarray(v.up, np.float64) / np.linalg.norm(v.up) for v in (va, vb)), s)
    lerp = lambda x, y: x + (y - x) * s  # noqa: E731
    mag = None if va.mag is None or vb.mag is None else lerp(va.mag, vb.mag)
    glare = lerp(*(v.glare if v.glare is not None else DEFAULT_GLARE for v in (va, vb)))
    return Pose(eye=eye_a + (eye_b - eye_a) * s, forward=_blend(forward_a / np.linalg.norm(forward_a), forward_b / np.linalg.norm(forward_b), s),
                up=up, fov=math.exp(lerp(math.log(va.fov), math.log(vb.fov))), mag=mag, glare=glare,
                epoch=lerp(va.epoch if va.epoch is not None else epoch, vb.epoch if vb.epoch is not None else epoch),
                lines=va.lines, bounds=va.bounds, solar=va.solar)


def frame_times(tour: Tour, fps: float) -> list[float]:
    """The times of a tour's frames at ``fps``: from its first keyframe to its last, both included."""
    count = int(math.floor(tour.duration * fps + 1e-9)) + 1
    return [tour.times[0] + i / fps for i in range(count)]
