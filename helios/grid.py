"""HLG: the heliocentric log-spherical grid.

A point at distance r from the Sun lies in radial shell ``l = 0`` when
``r < r0``, else ``l = 1 + floor(log(r / r0) / log(base))`` capped at
``n_shells - 1`` (the last shell is open-ended).  Its azimuth theta in [0, 2 pi)
falls in one of ``n_theta`` equal sectors ``t`` (wrapping), and its polar
angle phi from +z in one of ``n_phi`` bands ``p`` (clamped at the poles),
equal-area (uniform in cos phi) by default.  Cell ids are ``"{l}_{t}_{p}"``.
The Sun itself (r = 0) is put in cell ``0_0_0``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from helios import astro
from helios.config import from_mapping
from helios.errors import HeliosError

POLAR_SPACINGS = ("equal_area", "uniform")
FRAMES = ("icrs", "galactic")
#: The deepest a cell may split: a point's place in its cell is kept to 3 x MAX_DEPTH bits (helios.cell_tree).
MAX_DEPTH = 10


@dataclass(frozen=True)
class CellBounds:
    """Extent of one cell: radii in pc, angles in radians."""

    r_min: float
    r_max: float | None  # None for the open-ended last shell
    theta_min: float
    theta_max: float
    phi_min: float
    phi_max: float


@dataclass(frozen=True)
class Grid:
    """Grid parameters (named as in ``config.yaml`` and every ``index.json``).

    r0_pc: radius of the innermost shell; 1 pc holds the Solar System.
    base: ratio between the outer and inner radius of each shell.
    n_shells: number of shells including shell 0 and the open last one.
    n_theta: azimuth sectors.
    n_phi: polar bands.
    polar_spacing: ``equal_area`` (uniform in cos phi) or ``uniform`` (in phi).
    frame: ``icrs`` or ``galactic`` axes (Hipparcos rotation).
    max_stars: the most stars a cell holds; a fuller cell splits into children (:mod:`helios.cell_tree`).
    max_depth: how many times a cell may split (each split halves its shell and both angles).
    """

    r0_pc: float = 1.0
    base: float = 4.0
    n_shells: int = 16
    n_theta: int = 6
    n_phi: int = 3
    polar_spacing: str = "equal_area"
    frame: str = "icrs"
    max_stars: int = 120_000
    max_depth: int = 8

    def __post_init__(self) -> None:
        problems = []
        if not (self.r0_pc > 0 and math.isfinite(self.r0_pc)):
            problems.append(f"r0_pc must be a positive number, got {self.r0_pc}")
        if not (self.base > 1 and math.isfinite(self.base)):
            problems.append(f"base must be greater than 1, got {self.base}")
        for name in ("n_shells", "n_theta", "n_phi", "max_stars"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or value < 1:
                problems.append(f"{name} must be a positive integer, got {value!r}")
        if not isinstance(self.max_depth, (int, np.integer)) or not 0 <= self.max_depth <= MAX_DEPTH:
            problems.append(f"max_depth must be an integer from 0 to {MAX_DEPTH}, got {self.max_depth!r}")
        if self.polar_spacing not in POLAR_SPACINGS:
            problems.append(f"polar_spacing must be one of {', '.join(POLAR_SPACINGS)}, got {self.polar_spacing!r}")
        if self.frame not in FRAMES:
            problems.append(f"frame must be one of {', '.join(FRAMES)}, got {self.frame!r}")
        if problems:
            raise HeliosError("invalid grid: " + "; ".join(problems))

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Grid:
        return from_mapping(cls, values, "grid parameter(s)")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    # ---- points -> cells -------------------------------------------------------

    def to_frame(self, xyz_icrs: np.ndarray) -> np.ndarray:
        """Heliocentric ICRS Cartesian ``[N, 3]`` -> the grid's frame."""
        xyz = np.asarray(xyz_icrs, dtype=np.float64)
        return astro.icrs_to_galactic_cartesian(xyz) if self.frame == "galactic" else xyz

    def cell_indices(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(l, t, p)`` integer arrays for points ``[N, 3]`` already in the grid frame."""
        shell, t, p, _ = self.cell_positions(xyz)
        return shell, t, p

    def cell_positions(self, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(l, t, p, u)``: each point's cell and its place inside it, ``u [N, 3]`` in [0, 1).

        ``u`` is the fraction of the way across the cell in log radius (linear in
        radius for shell 0, the open last shell's beyond its nominal outer radius
        clamped), azimuth and the polar coordinate of the spacing (cos phi or phi):
        the coordinates in which a cell splits into children (:mod:`helios.cell_tree`).
        """
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        r = np.linalg.norm(xyz, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            decades = np.log(r / self.r0_pc) / math.log(self.base)
        shell = 1 + np.floor(decades)
        shell = np.where(r < self.r0_pc, 0, np.clip(np.nan_to_num(shell, nan=0.0), 0, self.n_shells - 1)).astype(np.int64)
        u_r = np.where(r < self.r0_pc, r / self.r0_pc, decades - (shell - 1))
        theta = np.mod(np.arctan2(xyz[:, 1], xyz[:, 0]), 2 * math.pi)
        sectors = theta / (2 * math.pi) * self.n_theta
        t_raw = np.floor(sectors)
        t = t_raw.astype(np.int64) % self.n_theta
        cos_phi = np.divide(xyz[:, 2], r, out=np.ones_like(r), where=r > 0)
        cos_phi = np.clip(cos_phi, -1.0, 1.0)
        if self.polar_spacing == "equal_area":
            frac = (1.0 - cos_phi) / 2.0
        else:
            frac = np.arccos(cos_phi) / math.pi
        bands = frac * self.n_phi
        p = np.clip(np.floor(bands), 0, self.n_phi - 1).astype(np.int64)
        u = np.stack([u_r, sectors - t_raw, bands - p], axis=1)
        u = np.clip(np.nan_to_num(u, nan=0.0), 0.0, np.nextafter(1.0, 0.0))
        return shell, t, p, u

    def cell_keys(self, xyz: np.ndarray) -> np.ndarray:
        """One sortable int64 key per point: ``(l * n_theta + t) * n_phi + p``."""
        shell, t, p = self.cell_indices(xyz)
        return (shell * self.n_theta + t) * self.n_phi + p

    def key_to_cell(self, key: int) -> tuple[int, int, int]:
        key = int(key)
        return key // (self.n_theta * self.n_phi), (key // self.n_phi) % self.n_theta, key % self.n_phi

    def contains(self, cell: tuple[int, int, int]) -> bool:
        shell, t, p = cell
        return 0 <= shell < self.n_shells and 0 <= t < self.n_theta and 0 <= p < self.n_phi

    # ---- cell geometry -------------------------------------------------------

    def shell_radii(self, shell: int) -> tuple[float, float | None]:
        """Inner and outer radius of a shell in pc (outer None for the last)."""
        inner = 0.0 if shell == 0 else self.r0_pc * self.base ** (shell - 1)
        outer = None if shell == self.n_shells - 1 else self.r0_pc * self.base**shell
        return inner, outer

    def polar_edges(self, p: int) -> tuple[float, float]:
        if self.polar_spacing == "equal_area":
            return math.acos(1.0 - 2.0 * p / self.n_phi), math.acos(max(-1.0, 1.0 - 2.0 * (p + 1) / self.n_phi))
        return math.pi * p / self.n_phi, math.pi * (p + 1) / self.n_phi

    def bounds(self, cell: tuple[int, int, int]) -> CellBounds:
        shell, t, p = cell
        r_min, r_max = self.shell_radii(shell)
        phi_min, phi_max = self.polar_edges(p)
        step = 2 * math.pi / self.n_theta
        return CellBounds(r_min, r_max, t * step, (t + 1) * step, phi_min, phi_max)

    def centre_and_radius(self, cell: tuple[int, int, int], r_max_override: float | None = None) -> tuple[np.ndarray, float]:
        """A centre inside the cell and the radius of a sphere about it enclosing the cell.

        The centre sits at mid radius along the mid direction.  The radius is
        the distance to the farthest corner, which is exact for ``n_theta >= 2``
        (the distance to a point of a spherical wedge is largest at a corner);
        for ``n_theta == 1`` the band's rim is sampled as well.  The open last
        shell uses ``r_max_override`` (e.g. the farthest star) or, without
        one, the radius it would have if it were closed.
        """
        b = self.bounds(cell)
        r_max = b.r_max if b.r_max is not None else (r_max_override or self.r0_pc * self.base ** cell[0])
        direction = _unit(0.5 * (b.theta_min + b.theta_max), 0.5 * (b.phi_min + b.phi_max))
        centre = 0.5 * (b.r_min + r_max) * direction
        thetas = [b.theta_min, b.theta_max] if self.n_theta >= 2 else list(np.linspace(0, 2 * math.pi, 65))
        corners = np.array([r * _unit(th, ph) for r in (b.r_min, r_max) for th in thetas for ph in (b.phi_min, b.phi_max)])
        return centre, float(np.linalg.norm(corners - centre, axis=1).max())

    # ---- neighbourhoods ------------------------------------------------------

    def neighbours(self, cell: tuple[int, int, int], n: int) -> list[tuple[tuple[int, int, int], int]]:
        """Cells within ``n`` steps (l and p clamped, t wrapped), with their step distance.

        The distance is the Chebyshev distance ``max(|dl|, |dt| wrapped, |dp|)``;
        the cell itself is included at distance 0.  Sorted by cell.
        """
        if n < 0:
            raise HeliosError(f"neighbour distance must be >= 0, got {n}")
        shell, t, p = cell
        shells = range(max(0, shell - n), min(self.n_shells - 1, shell + n) + 1)
        polars = range(max(0, p - n), min(self.n_phi - 1, p + n) + 1)
        thetas = {(t + d) % self.n_theta for d in range(-n, n + 1)}
        out = []
        for ll in shells:
            for tt in sorted(thetas):
                dt = min((tt - t) % self.n_theta, (t - tt) % self.n_theta)
                for pp in polars:
                    out.append(((ll, tt, pp), max(abs(ll - shell), dt, abs(pp - p))))
        return out


def cell_id(cell: Iterable[int]) -> str:
    """``"{l}_{t}_{p}"`` from integers only (ids become file names)."""
    shell, t, p = (int(v) for v in cell)
    return f"{shell}_{t}_{p}"


def parse_cell_id(text: str) -> tuple[int, int, int]:
    parts = text.split("_")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise HeliosError(f"not a cell id: {text!r} (expected three non-negative integers like '3_5_1')")
    return int(parts[0]), int(parts[1]), int(parts[2])


def _unit(theta: float, phi: float) -> np.ndarray:
    return np.array([math.sin(phi) * math.cos(theta), math.sin(phi) * math.sin(theta), math.cos(phi)])
