"""The client's nearest distance to a cell (client/src/cellbox.js) against a dense sampling of the cell."""

import json
import math

import numpy as np

from helios import cell_tree
from helios.grid import Grid
from tests.client.node import run_script


def sampled_nearest(bounds, point, steps: int = 48) -> tuple[float, float]:
    """The smallest distance from ``point`` to a grid of points filling the cell, and how far any point of the cell
    may lie from the grid (so the true distance lies within that of the sampled one)."""
    r_max = bounds["r_max_pc"]
    radii = np.linspace(bounds["r_min_pc"], r_max, steps)
    thetas = np.linspace(bounds["theta_min_rad"], bounds["theta_max_rad"], steps)
    phis = np.linspace(bounds["phi_min_rad"], bounds["phi_max_rad"], steps)
    r, theta, phi = np.meshgrid(radii, thetas, phis, indexing="ij")
    xyz = np.stack([r * np.sin(phi) * np.cos(theta), r * np.sin(phi) * np.sin(theta), r * np.cos(phi)], axis=-1)
    nearest = float(np.linalg.norm(xyz - point, axis=-1).min())
    spacing = (radii[1] - radii[0]) + r_max * ((thetas[1] - thetas[0]) + (phis[1] - phis[0]))
    return nearest, spacing


def cases(seed: int = 0):
    grid = Grid(r0_pc=1.0, base=4.0, n_shells=8, n_theta=6, n_phi=3)
    rng = np.random.default_rng(seed)
    for _ in range(150):
        shell, t, p = int(rng.integers(0, 7)), int(rng.integers(0, 6)), int(rng.integers(0, 3))
        depth = int(rng.integers(0, 3))
        node = cell_tree.Node((shell * grid.n_theta + t) * grid.n_phi + p, depth, int(rng.integers(0, 8**depth)))
        b = cell_tree.bounds(grid, node)
        bounds = {"r_min_pc": b.r_min, "r_max_pc": b.r_max, "theta_min_rad": b.theta_min, "theta_max_rad": b.theta_max,
                  "phi_min_rad": b.phi_min, "phi_max_rad": b.phi_max}
        scale = b.r_max
        kind = rng.integers(0, 3)
        if kind == 0:  # anywhere around the cell
            point = rng.normal(size=3) * scale * rng.uniform(0.1, 3)
        elif kind == 1:  # inside the cell
            r = rng.uniform(b.r_min, b.r_max)
            theta, phi = rng.uniform(b.theta_min, b.theta_max), math.acos(rng.uniform(math.cos(b.phi_max), math.cos(b.phi_min)))
            point = r * np.array([math.sin(phi) * math.cos(theta), math.sin(phi) * math.sin(theta), math.cos(phi)])
        else:  # near the Sun
            point = rng.normal(size=3) * max(b.r_min, 0.5) * 0.3
        yield {"bounds": bounds, "point": [float(v) for v in point]}


def test_nearest_distance_is_the_sampled_cells_within_its_spacing():
    todo = list(cases())
    [distances] = run_script("cell_distances.mjs", stdin=json.dumps(todo))
    inside = 0
    for case, distance in zip(todo, distances, strict=True):
        sampled, spacing = sampled_nearest(case["bounds"], np.array(case["point"]))
        # Never farther than a point of the cell (a fetch bound must not miss a star), at most the sampling apart.
        assert distance <= sampled + 1e-9 * case["bounds"]["r_max_pc"], case
        assert distance >= sampled - spacing, case
        inside += sampled < spacing / 4
    assert inside > 20


def test_nearest_distance_from_the_sun_is_the_inner_radius():
    bounds = {"r_min_pc": 16.0, "r_max_pc": None, "theta_min_rad": 0.0, "theta_max_rad": math.pi / 3,
              "phi_min_rad": 0.0, "phi_max_rad": 1.2}
    [[at_sun, beyond, on_axis]] = run_script("cell_distances.mjs", stdin=json.dumps(
        [{"bounds": bounds, "point": [0, 0, 0]}, {"bounds": bounds, "point": [0, 0, 1e6]}, {"bounds": bounds, "point": [0, 0, -4]}]))
    # Below the Sun the nearest point is on the cone's rim at the inner radius (law of cosines).
    assert at_sun == 16.0 and beyond == 0.0 and math.isclose(on_axis, math.sqrt(4**2 + 16**2 - 2 * 4 * 16 * math.cos(math.pi - 1.2)))
