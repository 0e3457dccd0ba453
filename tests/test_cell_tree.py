import math

import numpy as np
import pytest

from helios.cell_tree import (
    CellTooDense,
    Leaves,
    Node,
    add_counts,
    bounds,
    centre_and_radius,
    count_keys,
    fine_keys,
    leaf_order,
    node_of,
    plan_leaves,
)
from helios.errors import HeliosError
from helios.grid import Grid, cell_id

GRID = Grid(base=3.0, n_shells=8, n_theta=6, n_phi=3, max_stars=500, max_depth=5)


def clustered_points(n: int, seed: int = 3) -> np.ndarray:
    """Stars spread over many cells, with a dense clump that forces deep splits."""
    rng = np.random.default_rng(seed)
    spread = rng.normal(size=(n, 3)) * rng.lognormal(3, 1.5, size=(n, 1))
    clump = rng.normal(size=(n // 4, 3)) * 6.0 + np.array([40.0, 25.0, 10.0])
    return np.concatenate([spread, clump])


@pytest.fixture(scope="module")
def planned():
    xyz = clustered_points(20_000)
    keys = fine_keys(GRID, xyz)
    leaves, dense = plan_leaves(GRID, *count_keys(keys))
    assert dense == []
    return xyz, keys, leaves


def test_fine_keys_begin_with_the_cell_key():
    xyz = clustered_points(5_000)
    assert np.array_equal(fine_keys(GRID, xyz) >> (3 * GRID.max_depth), GRID.cell_keys(xyz))


def test_the_leaves_partition_the_stars_and_hold_at_most_max_stars(planned):
    xyz, keys, leaves = planned
    counts = [stars for _, stars in leaves]
    assert sum(counts) == len(xyz)
    assert max(counts) <= GRID.max_stars
    assert max(node.depth for node, _ in leaves) >= 2  # the clump split more than once
    tree = Leaves(GRID, [node for node, _ in leaves])
    where = tree.locate(keys)
    assert (where >= 0).all()
    assert np.array_equal(np.bincount(where, minlength=len(leaves)), counts)


def test_a_star_lies_in_its_leafs_bounds_and_bounding_sphere(planned):
    xyz, keys, leaves = planned
    tree = Leaves(GRID, [node for node, _ in leaves])
    where = tree.locate(keys)
    r = np.linalg.norm(xyz, axis=1)
    theta = np.mod(np.arctan2(xyz[:, 1], xyz[:, 0]), 2 * math.pi)
    phi = np.arccos(np.clip(xyz[:, 2] / r, -1, 1))
    for index, node in enumerate(tree.nodes):
        mine = where == index
        b = bounds(GRID, node)
        eps = 1e-9
        assert (r[mine] >= b.r_min * (1 - eps)).all()
        if b.r_max is not None:
            assert (r[mine] <= b.r_max * (1 + eps)).all()
        assert (theta[mine] >= b.theta_min - eps).all() and (theta[mine] <= b.theta_max + eps).all()
        assert (phi[mine] >= b.phi_min - eps).all() and (phi[mine] <= b.phi_max + eps).all()
        far = float(r[mine].max()) if mine.any() else None
        centre, radius = centre_and_radius(GRID, node, r_max_override=far)
        assert (np.linalg.norm(xyz[mine] - centre, axis=1) <= radius * (1 + 1e-9)).all()


def test_a_childs_sphere_is_smaller_than_its_cells():
    cell = Node(GRID.cell_keys(np.array([[40.0, 25.0, 10.0]]))[0], 0, 0)
    _, parent = centre_and_radius(GRID, cell)
    for digit in range(8):
        _, child = centre_and_radius(GRID, cell.child(digit))
        assert child < 0.75 * parent


def test_ids_name_their_nodes():
    node = Node(GRID.cell_keys(np.array([[40.0, 25.0, 10.0]]))[0], 0, 0).child(3).child(5)
    text = node.id(GRID)
    assert text.endswith("-35") and node_of(GRID, text) == node
    assert node_of(GRID, text.split("-")[0]).depth == 0
    for bad in ("1_2", "1_2_3-8", "1_2_3-12345", "99_0_0"):
        with pytest.raises(HeliosError):
            node_of(GRID, bad)
    assert sorted(["3_1_0-7", "3_1_0", "10_0_0", "3_1_0-10"], key=leaf_order) == ["3_1_0", "3_1_0-10", "3_1_0-7", "10_0_0"]


def test_a_cell_under_the_bound_is_not_split():
    xyz = clustered_points(300)
    leaves, _ = plan_leaves(GRID, *count_keys(fine_keys(GRID, xyz)))
    assert all(node.depth == 0 for node, _ in leaves)
    assert sorted(node.id(GRID) for node, _ in leaves) == sorted({cell_id(GRID.key_to_cell(k)) for k in GRID.cell_keys(xyz)})


def test_too_dense_a_cell_is_an_error_naming_it():
    xyz = np.tile([[40.0, 25.0, 10.0]], (600, 1))
    with pytest.raises(CellTooDense, match=r"holds 600 stars.*grid.max_depth"):
        plan_leaves(GRID, *count_keys(fine_keys(GRID, xyz)))


def test_counts_add_up():
    keys, counts = add_counts([(np.array([1, 5]), np.array([2, 1])), (np.array([5, 9]), np.array([4, 1]))])
    assert keys.tolist() == [1, 5, 9] and counts.tolist() == [2, 5, 1]


def test_near_at_depth_zero_is_the_grids_neighbourhood():
    grid = Grid(n_shells=6, n_theta=5, n_phi=3, max_depth=2)
    cells = [(s, t, p) for s in range(6) for t in range(5) for p in range(3) if (s + t + p) % 3]
    nodes = [Node((s * 5 + t) * 3 + p, 0, 0) for s, t, p in cells]
    tree = Leaves(grid, nodes)
    for home in [(2, 0, 1), (0, 4, 0), (5, 2, 2)]:
        for steps in (0, 1, 2):
            expected = {cell_id(c): d for c, d in grid.neighbours(home, steps) if c in cells}
            got = {tree.ids[i]: d for i, d in tree.near(Node((home[0] * 5 + home[1]) * 3 + home[2], 0, 0), steps)}
            assert got == expected


def test_home_of_a_point_in_an_empty_child():
    root = Node(GRID.cell_keys(np.array([[40.0, 25.0, 10.0]]))[0], 0, 0)
    split = root.child(0)
    nodes = [split.child(d) for d in (0, 1, 2, 4)] + [root.child(d) for d in (1, 2, 3, 4, 6, 7)]
    tree = Leaves(GRID, nodes)
    assert tree.home(root.child(5).key_range(GRID)[0] + 7) == root.child(5)  # an empty child of the cell
    assert tree.home(split.child(6).key_range(GRID)[0]) == split.child(6)  # an empty grandchild
    assert tree.home(split.child(2).key_range(GRID)[1] - 1) == split.child(2)  # a leaf
    assert tree.near(root.child(5), 0) == []
    near = {tree.ids[i]: d for i, d in tree.near(root.child(5), 1)}
    # every other child of the cell touches child 5 (across a face, an edge or a corner), and the grandchildren
    # under child 0 are less than child 5's size away
    assert near == {node.id(GRID): 1 for node in nodes}
    far_corner = Leaves(GRID, [split.child(0)])  # [0, 1/4)^3 of the cell, 1/4 from child 5's box in radius and polar
    assert far_corner.near(root.child(5), 1) == [(0, 1)]
    assert far_corner.near(split.child(7), 0) == [] and far_corner.near(split.child(7).child(7), 1) == []
    assert far_corner.near(split.child(7).child(7), 2) == [(0, 2)]  # one of its sizes (1/8) between them: 2 steps


def test_a_plan_from_coarse_keys_leaves_the_dense_nodes_for_a_deeper_pass(planned):
    xyz, keys, leaves = planned
    coarse = 2
    shifted = count_keys(keys >> (3 * (GRID.max_depth - coarse)))
    first, dense = plan_leaves(GRID, *shifted, key_depth=coarse)
    assert dense and all(node.depth == coarse and stars > GRID.max_stars for node, stars in dense)
    refined = {node: plan_leaves(GRID, *count_keys(keys), below=node)[0] for node, _ in dense}
    assert [leaf for node, n in first for leaf in refined.get(node, [(node, n)])] == leaves
