"""The client's tours (client/src/tour.js) ease between keyframes as helios/tour.py does, and refuse what it refuses."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helios.tour import TourError, parse_tour, pose_at
from tests.client.node import run_script

DEFAULTS = {"glare": 0.25, "epoch": 2016.0}
BAD = [{"keyframes": []}, {"keyframes": [{"t": "0", "view": "from=sun"}]}, {"keyframes": [{"t": 0, "view": "fov=400"}]},
       {"keyframes": [{"t": 1, "view": "from=sun"}, {"t": 1, "view": "from=sun"}]}, {"keyframes": [{"t": 0, "view": "form=sun"}]},
       {"keyframes": [{"t": 0}]}, {"keyframes": [{"t": 0, "view": "lines=2"}]}]


def random_tour(rng):
    keyframes = []
    t = float(rng.uniform(-5, 5))
    for _ in range(int(rng.integers(1, 5))):
        point = lambda: ",".join(f"{x:.6g}" for x in rng.normal(0, 10 ** rng.uniform(-3, 4), 3))  # noqa: E731
        view = f"from={point()}&lookat={point() if rng.random() < 0.8 else 'sun'}&fov={rng.uniform(5, 170):.5g}"
        view += f"&up={point()}" if rng.random() < 0.3 else ""
        view += f"&mag={rng.uniform(0, 20):.4g}" if rng.random() < 0.7 else ""
        view += f"&glare={rng.uniform(0, 0.9):.3g}" if rng.random() < 0.5 else ""
        view += f"&epoch={rng.uniform(-1e5, 1e5):.6g}" if rng.random() < 0.5 else ""
        view += "&lines=1" if rng.random() < 0.5 else ""
        view += "&solar=1" if rng.random() < 0.3 else ""
        keyframes.append({"t": t, "view": view})
        t += float(rng.uniform(0.1, 20))
    return {"keyframes": keyframes}


def resolve(point, key):
    return np.zeros(3) if isinstance(point, str) else np.asarray(point)


def test_js_tours_ease_as_python_does():
    rng = np.random.default_rng(7)
    cases = []
    for _ in range(200):
        document = random_tour(rng)
        first, last = document["keyframes"][0]["t"], document["keyframes"][-1]["t"]
        cases.append({"document": document, "times": [float(x) for x in rng.uniform(first - 2, last + 2, 6)] + [first, last]})
    [js] = run_script("tour_cases.mjs", stdin=json.dumps({"tours": cases, "defaults": DEFAULTS}))
    compared = 0
    for case, poses in zip(cases, js, strict=True):
        tour = parse_tour(case["document"], "tour.json")
        for t, theirs in zip(case["times"], poses, strict=True):
            mine = pose_at(tour, t, resolve, DEFAULTS["epoch"])
            for key in ("eye", "forward", "up"):
                assert np.allclose(theirs[key], getattr(mine, key), rtol=1e-12, atol=1e-9 * max(1.0, np.abs(getattr(mine, key)).max())), key
            assert theirs["fov"] == pytest.approx(mine.fov, rel=1e-12) and theirs["epoch"] == pytest.approx(mine.epoch, rel=1e-12)
            assert theirs["glare"] == pytest.approx(mine.glare, rel=1e-12) and theirs["lines"] == mine.lines
            assert theirs["solar"] == mine.solar
            assert (theirs["mag"] is None) == (mine.mag is None) and (mine.mag is None or theirs["mag"] == pytest.approx(mine.mag))
            compared += 1
    assert compared == 1600


def test_js_and_python_refuse_the_same_tours_naming_the_field():
    [js] = run_script("tour_cases.mjs", stdin=json.dumps({"tours": [{"document": d, "times": [0]} for d in BAD], "defaults": DEFAULTS}))
    for document, theirs in zip(BAD, js, strict=True):
        with pytest.raises(TourError) as raised:
            parse_tour(document, "tour.json")
        print(raised.value, "|", theirs["error"])
        assert "error" in theirs and str(raised.value).split(":")[:2] == theirs["error"].split(":")[:2]
