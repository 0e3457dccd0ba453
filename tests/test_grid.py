import math

import numpy as np
import pytest

from helios.errors import HeliosError
from helios.grid import Grid, cell_id, parse_cell_id
from helios.landmarks import load_landmarks


def spherical(r, theta, phi):
    return np.array([[r * math.sin(phi) * math.cos(theta), r * math.sin(phi) * math.sin(theta), r * math.cos(phi)]])


def cell_of(grid, xyz):
    shell, t, p = grid.cell_indices(xyz)
    return int(shell[0]), int(t[0]), int(p[0])


def test_shells_follow_the_log_rule():
    grid = Grid(r0_pc=1.0, base=4.0, n_shells=5, n_theta=4, n_phi=2)
    radii = [0.0, 0.5, 0.999, 1.0, 3.99, 4.0, 15.9, 16.0, 64.0, 1e9]
    shells = [cell_of(grid, spherical(r, 0.1, 1.0))[0] if r else cell_of(grid, np.zeros((1, 3)))[0] for r in radii]
    assert shells == [0, 0, 0, 1, 1, 2, 2, 3, 4, 4]  # last shell open-ended


def test_azimuth_sectors_and_wrap():
    grid = Grid(n_theta=4, n_phi=1)
    for theta, expected in [(0.0, 0), (math.pi / 2 - 1e-9, 0), (math.pi / 2, 1), (math.pi, 2), (-1e-9, 3), (2 * math.pi - 1e-12, 3)]:
        assert cell_of(grid, spherical(10.0, theta, math.pi / 2))[1] == expected


def test_polar_equal_area_and_uniform():
    equal_area = Grid(n_theta=1, n_phi=4)
    uniform = Grid(n_theta=1, n_phi=4, polar_spacing="uniform")
    # cos(phi) = 0.5 is the equal-area boundary between bands 0 and 1; phi = 60 deg.
    assert cell_of(equal_area, spherical(10, 0, math.radians(59.9)))[2] == 0
    assert cell_of(equal_area, spherical(10, 0, math.radians(60.1)))[2] == 1
    assert cell_of(uniform, spherical(10, 0, math.radians(44.9)))[2] == 0
    assert cell_of(uniform, spherical(10, 0, math.radians(45.1)))[2] == 1
    # The poles are clamped into the first and last bands.
    assert cell_of(equal_area, np.array([[0, 0, 10.0]]))[2] == 0
    assert cell_of(equal_area, np.array([[0, 0, -10.0]]))[2] == 3


def test_equal_area_bands_hold_equal_shares_of_a_uniform_sphere():
    rng = np.random.default_rng(1)
    v = rng.normal(size=(200_000, 3))
    counts = np.bincount(Grid(n_theta=1, n_phi=5).cell_indices(v)[2], minlength=5)
    assert np.allclose(counts / counts.sum(), 0.2, atol=0.005)


def test_sun_is_cell_0_0_0():
    assert cell_of(Grid(), np.zeros((1, 3))) == (0, 0, 0)


def test_random_points_lie_in_their_cell_bounds_and_sphere():
    grid = Grid(r0_pc=1.0, base=3.0, n_shells=8, n_theta=6, n_phi=4)
    rng = np.random.default_rng(2)
    directions = rng.normal(size=(20_000, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    xyz = directions * np.exp(rng.uniform(np.log(0.01), np.log(3000.0), (20_000, 1)))
    shells, ts, ps = grid.cell_indices(xyz)
    r = np.linalg.norm(xyz, axis=1)
    theta = np.mod(np.arctan2(xyz[:, 1], xyz[:, 0]), 2 * math.pi)
    phi = np.arccos(xyz[:, 2] / r)
    for cell in set(zip(shells.tolist(), ts.tolist(), ps.tolist())):
        sel = (shells == cell[0]) & (ts == cell[1]) & (ps == cell[2])
        b = grid.bounds(cell)
        assert (r[sel] >= b.r_min * (1 - 1e-12)).all()
        if b.r_max is not None:
            assert (r[sel] < b.r_max * (1 + 1e-12)).all()
        assert (theta[sel] >= b.theta_min - 1e-12).all() and (theta[sel] <= b.theta_max + 1e-12).all()
        assert (phi[sel] >= b.phi_min - 1e-9).all() and (phi[sel] <= b.phi_max + 1e-9).all()
        centre, radius = grid.centre_and_radius(cell, r_max_override=r[sel].max())
        assert (np.linalg.norm(xyz[sel] - centre, axis=1) <= radius * (1 + 1e-9)).all()


def test_bounding_radius_is_tight():
    grid = Grid(r0_pc=1.0, base=2.0, n_shells=6, n_theta=8, n_phi=4)
    cell = (3, 2, 1)
    b = grid.bounds(cell)
    centre, radius = grid.centre_and_radius(cell)
    rng = np.random.default_rng(3)
    r = rng.uniform(b.r_min, b.r_max, 100_000)
    th = rng.uniform(b.theta_min, b.theta_max, 100_000)
    ph = np.arccos(rng.uniform(math.cos(b.phi_max), math.cos(b.phi_min), 100_000))
    pts = np.stack([r * np.sin(ph) * np.cos(th), r * np.sin(ph) * np.sin(th), r * np.cos(ph)], axis=1)
    dist = np.linalg.norm(pts - centre, axis=1)
    assert dist.max() <= radius and dist.max() > 0.97 * radius


def test_single_sector_band_radius_covers_the_ring():
    grid = Grid(n_theta=1, n_phi=2, n_shells=3)
    centre, radius = grid.centre_and_radius((2, 0, 0), r_max_override=20.0)
    ring = np.array([[math.cos(a) * 20, math.sin(a) * 20, 0.0] for a in np.linspace(0, 2 * math.pi, 361)])
    assert (np.linalg.norm(ring - centre, axis=1) <= radius * (1 + 1e-6)).all()


def test_neighbours_wrap_in_theta_and_clamp_in_l_and_phi():
    grid = Grid(n_shells=5, n_theta=6, n_phi=3)
    found = dict(grid.neighbours((0, 0, 0), 1))
    assert set(found) == {(s, t, p) for s in (0, 1) for t in (5, 0, 1) for p in (0, 1)}
    assert found[(0, 0, 0)] == 0 and found[(1, 5, 1)] == 1
    top = dict(grid.neighbours((4, 3, 2), 1))
    assert {c[0] for c in top} == {3, 4} and {c[2] for c in top} == {1, 2}


def test_neighbours_have_no_duplicates_when_the_ring_is_covered():
    grid = Grid(n_shells=3, n_theta=4, n_phi=2)
    cells = [c for c, _ in grid.neighbours((1, 0, 0), 3)]
    assert len(cells) == len(set(cells)) == 3 * 4 * 2
    distances = dict(grid.neighbours((1, 0, 0), 3))
    assert distances[(1, 2, 0)] == 2  # opposite sector: 2 steps either way


def test_neighbours_zero_is_the_cell_itself():
    assert Grid().neighbours((3, 2, 1), 0) == [((3, 2, 1), 0)]
    with pytest.raises(HeliosError):
        Grid().neighbours((3, 2, 1), -1)


def test_cell_ids_round_trip_and_reject_junk():
    assert cell_id((3, 14, 2)) == "3_14_2"
    assert parse_cell_id("3_14_2") == (3, 14, 2)
    for bad in ("3_14", "a_b_c", "../1_2_3", "1_2_-3"):
        with pytest.raises(HeliosError):
            parse_cell_id(bad)


def test_keys_round_trip():
    grid = Grid()
    for cell in [(0, 0, 0), (15, 5, 2), (7, 3, 1)]:
        key = (cell[0] * grid.n_theta + cell[1]) * grid.n_phi + cell[2]
        assert grid.key_to_cell(key) == cell


def test_invalid_grid_is_explained():
    with pytest.raises(HeliosError, match="base must be greater than 1"):
        Grid(base=1.0)
    with pytest.raises(HeliosError, match="n_theta must be a positive integer"):
        Grid(n_theta=0)
    with pytest.raises(HeliosError, match="unknown grid parameter"):
        Grid.from_mapping({"n_rings": 3})


def test_landmarks_from_au_to_mpc_fit_the_default_grid():
    grid = Grid()
    landmarks = load_landmarks()
    xyz = np.array([lm.xyz for lm in landmarks])
    r = np.linalg.norm(xyz, axis=1)
    assert r[r > 0].min() < 1e-4 and r.max() > 1e7  # planets (AU) to galaxies (> 10 Mpc)
    shells, t, p = grid.cell_indices(xyz)
    assert grid.contains((shells.min(), t.min(), p.min())) and grid.contains((shells.max(), t.max(), p.max()))
    by_name = {lm.name: s for lm, s in zip(landmarks, shells)}
    assert by_name["Jupiter"] == 0 and by_name["Sun"] == 0
    assert by_name["Sirius (HIP 32349)"] == 1  # 2.6 pc: shell [1, 4) pc
    assert by_name["M 31 (Andromeda Galaxy)"] == 10  # 790 kpc: shell [4^9, 4^10) pc
    assert by_name["C 35"] == 14  # 102 Mpc, the farthest: shell [4^13, 4^14) pc
    # The open last shell starts at 4^14 pc ~ 268 Mpc: no landmark reaches it.
    assert shells.max() < grid.n_shells - 1


def test_galactic_frame_rotates_points():
    icrs = Grid()
    galactic = Grid(frame="galactic")
    # The north galactic pole is on +z in the galactic frame: polar band 0.
    ngp = np.array([[math.cos(math.radians(27.12825)) * math.cos(math.radians(192.85948)),
                     math.cos(math.radians(27.12825)) * math.sin(math.radians(192.85948)),
                     math.sin(math.radians(27.12825))]]) * 100
    framed = galactic.to_frame(ngp)
    assert framed[0, 2] == pytest.approx(100, abs=0.01)
    assert np.array_equal(icrs.to_frame(ngp), ngp)
