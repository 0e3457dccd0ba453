"""Cells that split: the HLG cell is the coarse level, and a cell holding more than ``grid.max_stars`` stars
is split into eight children, recursively, down to ``grid.max_depth`` (docs/cells.md).

A child halves its parent in each of the cell's three coordinates (:meth:`helios.grid.Grid.cell_positions`):
log radius, azimuth and the polar coordinate of the spacing, so children stay wedges of a shell and their
bounding spheres stay tight.  Its digit ``4 * r + 2 * t + p`` says which half it takes in each (0 the inner,
1 the outer).  A leaf's id is its HLG cell's followed by its digits: ``6_2_1`` (not split), ``6_2_1-305``.

Every point has a *fine key*: its cell's key (``Grid.cell_keys``) followed by its digits down to
``max_depth`` (3 bits a level).  A node of the tree is a contiguous range of fine keys, so the leaves,
sorted, cut the fine keys into ranges and a point finds its leaf with one binary search
(:meth:`Leaves.locate`).  The tree is fixed by the number of stars under each fine key
(:func:`plan_leaves`): a node splits while it holds more than ``max_stars`` stars.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from helios.errors import HeliosError
from helios.grid import CellBounds, Grid, cell_id, parse_cell_id


def fine_keys(grid: Grid, xyz: np.ndarray) -> np.ndarray:
    """One int64 fine key per point ``[N, 3]`` already in the grid frame."""
    shell, t, p, u = grid.cell_positions(xyz)
    depth = grid.max_depth
    steps = np.minimum(np.floor(u * (1 << depth)).astype(np.int64), (1 << depth) - 1)
    digits = np.zeros(len(shell), dtype=np.int64)
    for bit in range(depth - 1, -1, -1):
        digit = ((steps[:, 0] >> bit) & 1) << 2 | ((steps[:, 1] >> bit) & 1) << 1 | ((steps[:, 2] >> bit) & 1)
        digits |= digit << (3 * bit)
    cell = (shell * grid.n_theta + t) * grid.n_phi + p
    return cell << (3 * depth) | digits


@dataclass(frozen=True, order=True)
class Node:
    """A node of a cell's tree: the HLG cell's key, the depth below it, and the digits on the way there."""

    cell_key: int
    depth: int
    digits: int  # 3 bits a level, the first level's in the highest bits

    def id(self, grid: Grid) -> str:
        root = cell_id(grid.key_to_cell(self.cell_key))
        if self.depth == 0:
            return root
        return f"{root}-{self.digits:0{self.depth}o}"

    def key_range(self, grid: Grid) -> tuple[int, int]:
        """The fine keys under this node: ``[start, end)``."""
        below = 3 * (grid.max_depth - self.depth)
        start = (self.cell_key << (3 * grid.max_depth)) | (self.digits << below)
        return start, start + (1 << below)

    def child(self, digit: int) -> Node:
        return Node(self.cell_key, self.depth + 1, self.digits << 3 | digit)

    def steps(self) -> tuple[int, int, int]:
        """The node's place in its cell, in steps of ``1 / 2**depth``: (radius, azimuth, polar)."""
        r = t = p = 0
        for level in range(self.depth - 1, -1, -1):
            digit = (self.digits >> (3 * level)) & 7
            r, t, p = r << 1 | digit >> 2, t << 1 | (digit >> 1) & 1, p << 1 | digit & 1
        return r, t, p


def node_of(grid: Grid, text: str) -> Node:
    """The node named by a leaf id (``6_2_1`` or ``6_2_1-305``), checked against the grid."""
    root, _, digits = text.partition("-")
    cell = parse_cell_id(root)
    if not grid.contains(cell):
        raise HeliosError(f"cell id {text!r} is outside the grid")
    if digits and (len(digits) > grid.max_depth or any(c not in "01234567" for c in digits)):
        raise HeliosError(f"not a cell id: {text!r} (after the '-', 1 to {grid.max_depth} digits 0-7)")
    key = (cell[0] * grid.n_theta + cell[1]) * grid.n_phi + cell[2]
    return Node(key, len(digits), int(digits, 8) if digits else 0)


def bounds(grid: Grid, node: Node) -> CellBounds:
    """The node's extent: radii in pc (``r_max`` None where it reaches out through the open last shell)."""
    shell, t, p = grid.key_to_cell(node.cell_key)
    cell = grid.bounds((shell, t, p))
    size = 1.0 / (1 << node.depth)
    r, a, b = node.steps()
    lo, hi = r * size, (r + 1) * size
    if shell == 0:
        r_min = lo * grid.r0_pc
        r_max = None if cell.r_max is None and hi == 1.0 else hi * grid.r0_pc
    else:
        r_min = cell.r_min * grid.base**lo
        r_max = None if cell.r_max is None and hi == 1.0 else cell.r_min * grid.base**hi
    sector = cell.theta_max - cell.theta_min
    polar = [_polar_angle(grid, p + (b + k) * size) for k in (0, 1)]
    return CellBounds(r_min, r_max, cell.theta_min + a * size * sector, cell.theta_min + (a + 1) * size * sector, *polar)


def _polar_angle(grid: Grid, bands: float) -> float:
    """The polar angle ``bands`` polar bands from +z."""
    if grid.polar_spacing == "equal_area":
        return math.acos(max(-1.0, min(1.0, 1.0 - 2.0 * bands / grid.n_phi)))
    return math.pi * bands / grid.n_phi


def centre_and_radius(grid: Grid, node: Node, r_max_override: float | None = None) -> tuple[np.ndarray, float]:
    """A centre inside the node and the radius of a sphere about it enclosing the node (as
    :meth:`Grid.centre_and_radius`, which this equals for a node of depth 0)."""
    if node.depth == 0:
        return grid.centre_and_radius(grid.key_to_cell(node.cell_key), r_max_override)
    b = bounds(grid, node)
    shell = grid.key_to_cell(node.cell_key)[0]
    r_max = b.r_max if b.r_max is not None else (r_max_override or grid.r0_pc * grid.base**shell)
    direction = _unit(0.5 * (b.theta_min + b.theta_max), 0.5 * (b.phi_min + b.phi_max))
    centre = 0.5 * (b.r_min + r_max) * direction
    # The farthest point of a wedge no wider than pi in azimuth is a corner (see Grid.centre_and_radius).
    wide = b.theta_max - b.theta_min > math.pi
    thetas = list(np.linspace(b.theta_min, b.theta_max, 65)) if wide else [b.theta_min, b.theta_max]
    corners = np.array([r * _unit(th, ph) for r in (b.r_min, r_max) for th in thetas for ph in (b.phi_min, b.phi_max)])
    return centre, float(np.linalg.norm(corners - centre, axis=1).max())


def _unit(theta: float, phi: float) -> np.ndarray:
    return np.array([math.sin(phi) * math.cos(theta), math.sin(phi) * math.sin(theta), math.cos(phi)])


class CellTooDense(HeliosError):
    """A node at the deepest level still holds more than ``max_stars`` stars."""


def plan_leaves(grid: Grid, keys: np.ndarray, counts: np.ndarray, key_depth: int | None = None,
                below: Node | None = None) -> tuple[list[tuple[Node, int]], list[tuple[Node, int]]]:
    """The leaves and their star counts, in fine-key order, from the star count under each key.

    ``keys`` are fine keys kept to ``key_depth`` levels (``fine_key >> 3 * (max_depth - key_depth)``; default
    ``max_depth``), sorted and unique (:func:`count_keys` and :func:`add_counts` give them so); ``below``: plan
    only the tree under that node.  Empty nodes make no leaf.  Returns ``(leaves, dense)``: ``dense`` are the
    nodes at ``key_depth`` that still hold more than ``max_stars`` stars, to be planned again with deeper keys;
    at ``max_depth`` such a node is an error that names it (raise ``grid.max_depth`` or ``max_stars``).
    """
    key_depth = grid.max_depth if key_depth is None else key_depth
    keys = np.asarray(keys, dtype=np.int64)
    totals = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    shift = 3 * (grid.max_depth - key_depth)
    leaves: list[tuple[Node, int]] = []
    dense: list[tuple[Node, int]] = []

    def count(node: Node) -> int:
        start, end = node.key_range(grid)
        return int(totals[np.searchsorted(keys, end >> shift)] - totals[np.searchsorted(keys, start >> shift)])

    def visit(node: Node, stars: int) -> None:
        if stars <= grid.max_stars:
            leaves.append((node, stars))
            return
        if node.depth == key_depth:
            if key_depth < grid.max_depth:
                dense.append((node, stars))
                leaves.append((node, stars))  # a place holder, replaced by its own leaves
                return
            raise CellTooDense(
                f"cell {node.id(grid)} holds {stars:,} stars, more than grid.max_stars ({grid.max_stars:,}), and is "
                f"already split {grid.max_depth} times (grid.max_depth); raise grid.max_depth or grid.max_stars")
        for digit in range(8):
            child = node.child(digit)
            stars_below = count(child)
            if stars_below:
                visit(child, stars_below)

    if below is not None:
        visit(below, count(below))
    else:
        for cell_key in np.unique(keys >> (3 * key_depth)):
            node = Node(int(cell_key), 0, 0)
            visit(node, count(node))
    return leaves, dense


def count_keys(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fine keys -> (sorted unique keys, how many of each)."""
    unique, counts = np.unique(np.asarray(keys, dtype=np.int64), return_counts=True)
    return unique, counts.astype(np.int64)


def add_counts(pairs: Iterable[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Sum several ``(keys, counts)`` into one (sorted unique keys)."""
    keys, counts = [], []
    for k, c in pairs:
        keys.append(np.asarray(k, dtype=np.int64))
        counts.append(np.asarray(c, dtype=np.int64))
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return unique, np.bincount(inverse, weights=np.concatenate(counts), minlength=len(unique)).astype(np.int64)


class Leaves:
    """The leaves of a universe, sorted by fine key: which leaf a point falls in, and leaf neighbourhoods."""

    def __init__(self, grid: Grid, nodes: Iterable[Node]) -> None:
        self.grid = grid
        self.nodes = sorted(nodes, key=lambda node: node.key_range(grid)[0])
        ranges = np.array([node.key_range(grid) for node in self.nodes], dtype=np.int64).reshape(-1, 2)
        self.starts, self.ends = ranges[:, 0], ranges[:, 1]
        if len(self.nodes) > 1 and (self.starts[1:] < self.ends[:-1]).any():
            raise HeliosError("cell tree: two leaves overlap")
        self.ids = [node.id(grid) for node in self.nodes]
        self._boxes: np.ndarray | None = None

    @classmethod
    def from_ids(cls, grid: Grid, ids: Iterable[str]) -> Leaves:
        return cls(grid, [node_of(grid, text) for text in ids])

    def locate(self, keys: np.ndarray) -> np.ndarray:
        """The index (in ``self.nodes``) of the leaf holding each fine key, -1 where none does."""
        keys = np.asarray(keys, dtype=np.int64)
        where = np.searchsorted(self.starts, keys, side="right") - 1
        inside = (where >= 0) & (keys < self.ends[np.maximum(where, 0)])
        return np.where(inside, where, -1)

    def home(self, key: int) -> Node:
        """The node a point (its fine key) lies in: its leaf, or, where no leaf holds it (no star there),
        the empty node of the tree it falls in (the child of the deepest split node above it)."""
        found = int(self.locate(np.array([key]))[0])
        if found >= 0:
            return self.nodes[found]
        node = Node(int(key) >> (3 * self.grid.max_depth), 0, 0)
        while node.depth < self.grid.max_depth:
            start, end = node.key_range(self.grid)
            first = int(np.searchsorted(self.ends, start, side="right"))
            if first >= len(self.nodes) or self.starts[first] >= end:
                return node  # no leaf below: an empty node
            below = self.grid.max_depth - node.depth - 1
            node = node.child((int(key) >> (3 * below)) & 7)
        return node

    def near(self, node: Node, steps: int) -> list[tuple[int, int]]:
        """``(leaf index, distance)`` of the leaves within ``steps`` of ``node``, in leaf order.

        A leaf's distance is how many of the node's sizes lie between their boxes in cell units (shell, sector,
        band), the largest over the three (0 where the boxes overlap: the node itself); azimuth wraps, shells
        and bands stop at the grid's edges.  For nodes of depth 0 these are :meth:`Grid.neighbours`.
        """
        if not self.nodes:
            return []
        if self._boxes is None:
            self._boxes = np.array([_box(self.grid, leaf) for leaf in self.nodes])  # [N, 3, 2]
        home = np.array(_box(self.grid, node))
        size = 1.0 / (1 << node.depth)
        gaps = np.maximum(self._boxes[:, :, 0] - home[:, 1], home[:, 0] - self._boxes[:, :, 1])  # [N, 3]
        period = self.grid.n_theta
        for shift in (-period, period):
            gaps[:, 1] = np.minimum(gaps[:, 1], np.maximum(self._boxes[:, 1, 0] + shift - home[1, 1],
                                                           home[1, 0] - (self._boxes[:, 1, 1] + shift)))
        distance = np.where(gaps < 0, 0, np.floor(gaps / size + 1e-9).astype(np.int64) + 1).max(axis=1)
        return [(int(i), int(distance[i])) for i in np.flatnonzero(distance <= steps)]


def _box(grid: Grid, node: Node) -> tuple[tuple[float, float], ...]:
    """The node's extent in cell units: (shell, sector, band) intervals."""
    shell, t, p = grid.key_to_cell(node.cell_key)
    size = 1.0 / (1 << node.depth)
    r, a, b = node.steps()
    return ((shell + r * size, shell + (r + 1) * size), (t + a * size, t + (a + 1) * size), (p + b * size, p + (b + 1) * size))


def leaf_order(text: str) -> tuple[int, ...]:
    """A sort key for cell ids: the HLG cell, then the digits below it."""
    root, _, digits = text.partition("-")
    return (*(int(part) for part in root.split("_")), *(int(c) for c in digits))
