"""The client's level rule (client/src/rule.js) picks the level helios/lod/rule.py picks, case by case."""

import json
import math

import numpy as np

from helios.lod.ladder import Level
from helios.lod.rule import choose_level, projected_radius_px, rule_constants
from tests.client.node import run_script


def random_cases(count: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        stars = int(rng.integers(1, 100_000))
        levels = []
        for number, fraction in enumerate(sorted(rng.choice([0.01, 0.03, 0.1, 0.3], size=int(rng.integers(1, 5)), replace=False)), 1):
            points = int(min(stars, round(fraction * stars * rng.uniform(0.2, 0.8))))
            gaussians = int(max(1, fraction * stars * rng.uniform(0.05, 0.5)))
            remainder = None if points == stars else float(np.float16(rng.uniform(-5, 15)))
            levels.append({"level": number, "points": points, "count": gaussians, "remainder_abs_mag": remainder})
        radius = float(10 ** rng.uniform(-1, 4))
        distance = float(radius * 10 ** rng.uniform(-0.5, 4))
        yield {"levels": levels, "stars": stars, "radius": radius, "distance": distance, "focal": float(rng.uniform(100, 5000)),
               "limitingMag": None if rng.random() < 0.2 else float(rng.uniform(0, 25))}


def python_choice(case) -> int:
    levels = [Level(0.01, entry["points"], entry["count"],
                    math.inf if entry["remainder_abs_mag"] is None else entry["remainder_abs_mag"], case["stars"] - entry["points"])
              for entry in case["levels"]]
    chosen = choose_level(levels, case["radius"], case["distance"], case["focal"], case["limitingMag"])
    return 0 if chosen is None else case["levels"][next(i for i, level in enumerate(levels) if level is chosen)]["level"]


def test_js_rule_matches_python_on_random_cases():
    cases = list(random_cases(3000))
    [js] = run_script("rule_cases.mjs", stdin=json.dumps({"constants": rule_constants(), "cases": cases}))
    python = [python_choice(case) for case in cases]
    assert js == python
    assert len(set(python)) >= 4, "the cases exercise points and several levels"
    guarded = sum(python_choice(case) != python_choice({**case, "limitingMag": None}) for case in cases if case["limitingMag"] is not None)
    faint = sum(choice and chosen_below_pixel_count(case, choice) for case, choice in zip(cases, python))
    assert guarded > 100 and faint > 100, "the cases exercise the photometric guard and the faint-glow test"


def chosen_below_pixel_count(case, choice: int) -> bool:
    """Whether the chosen level has fewer primitives than the screen asks (chosen for its faint glow)."""
    entry = next(level for level in case["levels"] if level["level"] == choice)
    needed = math.pi * projected_radius_px(case["radius"], case["distance"], case["focal"]) ** 2 / rule_constants()["pixels_per_primitive"]
    return entry["points"] + entry["count"] < needed
