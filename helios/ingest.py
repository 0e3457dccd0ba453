"""Catalogue rows -> star table: filters, distances, colours, positions.

One call of :func:`ingest_file` (or :func:`ingest_synthetic`) streams one
input into a *part*: an Arrow IPC file of kept stars in the star-table schema
(an intermediate: faster to write and read back than parquet) and a JSON tally
of what happened to every row.  :mod:`helios.partition` merges
parts.  Every row read is either kept or counted under exactly one drop
reason, checked in this order:

``missing_position``         ra or dec empty
``invalid_position``         ra outside [0, 360], dec outside [-90, 90], or infinite
``missing_magnitude``        phot_g_mean_mag empty
``invalid_magnitude``        phot_g_mean_mag infinite
``fainter_than_max_mag``     G > ``max_mag``
``missing_parallax``         no parallax (parallax distances)
``invalid_parallax``         infinite parallax or parallax_error
``nonpositive_parallax``     corrected parallax <= 0 under the ``drop`` policy
``low_parallax_over_error``  parallax/error below the threshold under ``drop``
``missing_parallax_error``   a low-quality parallax without a usable error
``missing_distance``         distance column empty (column distances)
``invalid_distance``         distance <= 0 or infinite
``invalid_motion``           pmra, pmdec, radial_velocity or ref_epoch infinite, or the star cannot be
                             moved to the epoch (ERFA gives no finite position)
``not_among_brightest``      outside the ``limit`` brightest stars (ties by file, line)

Parallax policy: with ``parallax_policy: edsd`` (default) a star whose
corrected parallax over error is below ``min_parallax_over_error`` (or whose
parallax is not positive) gets the mode of the Bailer-Jones (2015)
exponentially-decreasing-space-density posterior with length scale
``edsd_length_scale_pc``; other stars get ``1000 / parallax``.  With ``drop``
those stars are dropped instead.  Colour comes from ``bp_rp``, else
``phot_bp_mean_mag - phot_rp_mean_mag``, else ``teff_gspphot``, else the Sun's
temperature; the source used is recorded per star and counted.

Motion (``docs/motion.md``): proper motions (``pmra`` = μα*, ``pmdec``, mas/yr) and radial velocity
(km/s) are kept; a star without a proper motion is taken at rest on the sky, one without a radial
velocity at zero radial velocity, and each star's case is recorded (``motion_method``) and counted.
Each star's astrometry is at its ``ref_epoch`` column, else the ``ref_epoch`` option (Gaia DR3:
2016.0, Hipparcos: 1991.25); with ``epoch`` set every star is moved there (pyerfa's ``pmsafe``),
else to ``ref_epoch``.  Its space velocity (pc/kyr, ICRS axes) comes from ERFA's ``starpv``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from helios import astro, catalog, colour, motion, star_ids
from helios.errors import CatalogError, HeliosError
from helios.files import atomic_path, write_json

log = logging.getLogger(__name__)

DISTANCE_METHODS = ("parallax", "edsd", "column")
COLOUR_METHODS = ("bp_rp", "bp_minus_rp", "teff_gspphot", "neutral")
#: What a star's motion comes from: both proper motion and radial velocity, proper motion only
#: (radial velocity taken as 0), radial velocity only (proper motion 0), or neither (at rest).
MOTION_METHODS = ("proper_motion_and_radial_velocity", "proper_motion_only", "radial_velocity_only", "none")
PARALLAX_POLICIES = ("edsd", "drop")
EXAMPLES_PER_REASON = 5

STAR_SCHEMA = pa.schema(
    [
        ("source_id", pa.int64()),
        ("ra", pa.float64()),
        ("dec", pa.float64()),
        ("distance_pc", pa.float64()),
        ("x_pc", pa.float64()),
        ("y_pc", pa.float64()),
        ("z_pc", pa.float64()),
        ("phot_g_mean_mag", pa.float32()),
        ("abs_mag_g", pa.float32()),
        ("bp_rp", pa.float32()),
        ("teff_k", pa.float32()),
        ("red", pa.float32()),
        ("green", pa.float32()),
        ("blue", pa.float32()),
        ("distance_method", pa.dictionary(pa.int8(), pa.string())),
        ("colour_method", pa.dictionary(pa.int8(), pa.string())),
        ("pmra", pa.float32()),  # the catalogue's, mas/yr at ref_epoch (NaN: none)
        ("pmdec", pa.float32()),
        ("radial_velocity", pa.float32()),  # km/s (NaN: none)
        ("vx_pc_kyr", pa.float32()),  # space velocity, pc/kyr, the star table's axes (ICRS)
        ("vy_pc_kyr", pa.float32()),
        ("vz_pc_kyr", pa.float32()),
        ("motion_method", pa.dictionary(pa.int8(), pa.string())),
        ("line", pa.int64()),
    ]
)


@dataclass(frozen=True)
class IngestOptions:
    """How catalogue rows become stars.

    max_mag: keep stars with G <= max_mag (None: no cut).
    limit: keep only the ``limit`` brightest stars in G across all inputs
        (ties broken by input order); None keeps all.
    distance_source: ``auto`` (parallax when the file has it, else the first
        of r_med_geo, r_med_photogeo, distance_gspphot, dist), ``parallax``,
        or one of those column names.
    parallax_zero_point_mas: subtracted from every parallax (Lindegren+2021).
    parallax_policy: ``edsd`` or ``drop`` for low-quality parallaxes.
    min_parallax_over_error: below this corrected parallax/error a parallax
        is low quality; 0 trusts every positive parallax.
    edsd_length_scale_pc: L of the EDSD prior (1350 pc, Bailer-Jones 2015).
    colour_relation: ``mucciarelli2021`` or ``jordi2010`` (BP-RP -> Teff).
    ref_epoch: the catalogue's reference epoch (Julian year) for rows without a
        ``ref_epoch`` column: 2016.0 for Gaia DR3, 1991.25 for Hipparcos.
    epoch: the epoch (Julian year) the universe's positions are at; None:
        ``ref_epoch``.
    """

    max_mag: float | None = None
    limit: int | None = None
    distance_source: str = "auto"
    parallax_zero_point_mas: float = astro.DEFAULT_PARALLAX_ZERO_POINT_MAS
    parallax_policy: str = "edsd"
    min_parallax_over_error: float = 5.0
    edsd_length_scale_pc: float = astro.DEFAULT_EDSD_LENGTH_SCALE_PC
    colour_relation: str = "mucciarelli2021"
    ref_epoch: float = motion.GAIA_DR3_EPOCH
    epoch: float | None = None

    @property
    def universe_epoch(self) -> float:
        return float(self.ref_epoch if self.epoch is None else self.epoch)

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise HeliosError(f"limit must be a positive number of stars, got {self.limit}")
        if self.parallax_policy not in PARALLAX_POLICIES:
            raise HeliosError(f"parallax_policy must be one of {', '.join(PARALLAX_POLICIES)}, got {self.parallax_policy!r}")
        allowed = ("auto", "parallax") + catalog.DISTANCE_COLUMNS
        if self.distance_source not in allowed:
            raise HeliosError(f"distance_source must be one of {', '.join(allowed)}, got {self.distance_source!r}")
        if self.colour_relation not in colour.RELATIONS:
            raise HeliosError(f"colour_relation must be one of {', '.join(colour.RELATIONS)}, got {self.colour_relation!r}")
        if self.min_parallax_over_error < 0 or self.edsd_length_scale_pc <= 0:
            raise HeliosError("min_parallax_over_error must be >= 0 and edsd_length_scale_pc > 0")
        for name in ("ref_epoch", "epoch"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, (int, float)) and -1e6 <= value <= 1e6):
                raise HeliosError(f"{name} must be a Julian year (e.g. 2016.0) within a million years, got {value!r}")

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> IngestOptions:
        """Build from a config mapping, ignoring keys that are not options."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Tally:
    """Counts of rows read, kept and dropped per reason, with example lines."""

    def __init__(self) -> None:
        self.rows_read = 0
        self.rows_kept = 0
        self.dropped: Counter[str] = Counter()
        self.examples: dict[str, list[int]] = {}
        self.distance_method: Counter[str] = Counter()
        self.colour_method: Counter[str] = Counter()
        self.motion_method: Counter[str] = Counter()
        self.source_ids = star_ids.IdRange()

    def drop(self, reason: str, mask: np.ndarray, lines: np.ndarray) -> None:
        count = int(mask.sum())
        if not count:
            return
        self.dropped[reason] += count
        examples = self.examples.setdefault(reason, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.extend(int(x) for x in lines[mask][: EXAMPLES_PER_REASON - len(examples)])

    def count(self, reason: str, count: int) -> None:
        """Record ``count`` drops that have no single line to point at."""
        if count:
            self.dropped[reason] += count

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped": dict(sorted(self.dropped.items())),
            "example_lines": {k: v for k, v in sorted(self.examples.items())},
            "distance_method": dict(sorted(self.distance_method.items())),
            "colour_method": dict(sorted(self.colour_method.items())),
            "motion_method": dict(sorted(self.motion_method.items())),
            "source_ids": self.source_ids.as_dict(),
        }


def resolve_distance_source(columns: Iterable[str], requested: str, where: str) -> str:
    """The column distances come from for a file with ``columns``."""
    present = set(columns)
    if requested == "auto":
        for name in ("parallax",) + catalog.DISTANCE_COLUMNS:
            if name in present:
                return name
        raise CatalogError(f"{where}: no distance information: needs a parallax column or one of {', '.join(catalog.DISTANCE_COLUMNS)}")
    if requested not in present:
        raise CatalogError(f"{where}: distance_source is {requested!r} but the file has no such column")
    return requested


def _column(batch: pa.RecordBatch, name: str) -> np.ndarray | None:
    """A numeric column as float64 with NaN for missing, or None when absent."""
    index = batch.schema.get_field_index(name)
    if index < 0:
        return None
    return batch.column(index).to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def _dictionary(codes: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int8()), pa.array(names, pa.string()))


def convert_batch(batch: pa.RecordBatch, first_line: int, distance_source: str, options: IngestOptions, tally: Tally) -> pa.Table:
    """Filter and convert one batch of catalogue rows into star-table rows."""
    n = batch.num_rows
    tally.rows_read += n
    lines = np.arange(first_line, first_line + n, dtype=np.int64)
    keep = np.ones(n, dtype=bool)

    def drop(reason: str, mask: np.ndarray) -> None:
        mask = mask & keep
        tally.drop(reason, mask, lines)
        keep[mask] = False

    ra, dec, g = _column(batch, "ra"), _column(batch, "dec"), _column(batch, "phot_g_mean_mag")
    with np.errstate(invalid="ignore", divide="ignore"):
        drop("missing_position", np.isnan(ra) | np.isnan(dec))
        drop("invalid_position", ~((ra >= 0) & (ra <= 360) & (dec >= -90) & (dec <= 90)))
        drop("missing_magnitude", np.isnan(g))
        drop("invalid_magnitude", ~np.isfinite(g))
        if options.max_mag is not None:
            drop("fainter_than_max_mag", g > options.max_mag)
        distance, method = _distances(batch, distance_source, options, drop)

        abs_mag = astro.absolute_magnitude(g, distance)  # from the catalogue's magnitude and distance, at ref_epoch
        stars, motion_code, catalogue_motion = _motion(batch, ra, dec, distance, options, keep, drop)

    colour_code, teff = _temperatures(batch, options.colour_relation)
    sel = np.flatnonzero(keep)
    tally.rows_kept += sel.size
    stars, abs_mag, motion_code, colour_code, teff = stars[sel], abs_mag[sel], motion_code[sel], colour_code[sel], teff[sel]
    distance_at_ref = distance[sel]
    tally.distance_method.update({DISTANCE_METHODS[i]: int(c) for i, c in enumerate(np.bincount(method[sel], minlength=3)) if c})
    tally.colour_method.update({COLOUR_METHODS[i]: int(c) for i, c in enumerate(np.bincount(colour_code, minlength=4)) if c})
    tally.motion_method.update({MOTION_METHODS[i]: int(c) for i, c in enumerate(np.bincount(motion_code, minlength=4)) if c})
    distance = stars.distance_pc
    xyz = astro.icrs_to_cartesian(stars.ra_deg, stars.dec_deg, distance)
    velocity = motion.space_velocity(stars)
    rgb = colour.blackbody_linear_srgb(teff)
    bp_rp = _column(batch, "bp_rp")
    source_index = batch.schema.get_field_index("source_id")
    source_id = batch.column(source_index).take(pa.array(sel)) if source_index >= 0 else pa.nulls(sel.size, pa.int64())
    columns = {
        "source_id": source_id,
        "ra": stars.ra_deg,
        "dec": stars.dec_deg,
        "distance_pc": distance,
        "x_pc": xyz[:, 0],
        "y_pc": xyz[:, 1],
        "z_pc": xyz[:, 2],
        "phot_g_mean_mag": (g[sel] + 5.0 * np.log10(distance / distance_at_ref)).astype(np.float32),  # at the epoch
        "abs_mag_g": abs_mag.astype(np.float32),
        "bp_rp": (bp_rp[sel] if bp_rp is not None else np.full(sel.size, np.nan)).astype(np.float32),
        "teff_k": teff.astype(np.float32),
        "red": rgb[:, 0].astype(np.float32),
        "green": rgb[:, 1].astype(np.float32),
        "blue": rgb[:, 2].astype(np.float32),
        "distance_method": _dictionary(method[sel], DISTANCE_METHODS),
        "colour_method": _dictionary(colour_code, COLOUR_METHODS),
        **{name: values[sel].astype(np.float32) for name, values in catalogue_motion.items()},
        "vx_pc_kyr": velocity[:, 0].astype(np.float32),
        "vy_pc_kyr": velocity[:, 1].astype(np.float32),
        "vz_pc_kyr": velocity[:, 2].astype(np.float32),
        "motion_method": _dictionary(motion_code, MOTION_METHODS),
        "line": lines[sel],
    }
    return pa.Table.from_pydict(columns, schema=STAR_SCHEMA)


def _motion(batch: pa.RecordBatch, ra: np.ndarray, dec: np.ndarray, distance: np.ndarray, options: IngestOptions,
            keep: np.ndarray, drop: Callable[[str, np.ndarray], None]) -> tuple[motion.Astrometry, np.ndarray, dict[str, np.ndarray]]:
    """Every row's astrometry at the universe's epoch (NaN for rows already dropped), its motion code,
    and the catalogue's motion columns (NaN where missing)."""
    n = batch.num_rows
    missing = np.full(n, np.nan)
    pmra, pmdec, rv = (_column(batch, name) for name in ("pmra", "pmdec", "radial_velocity"))
    pmra, pmdec, rv = (missing if c is None else c for c in (pmra, pmdec, rv))
    ref_epoch = _column(batch, "ref_epoch")
    ref_epoch = np.where(np.isnan(ref_epoch), options.ref_epoch, ref_epoch) if ref_epoch is not None else np.full(n, options.ref_epoch)
    drop("invalid_motion", np.isinf(pmra) | np.isinf(pmdec) | np.isinf(rv) | np.isinf(ref_epoch))
    has_pm, has_rv = ~(np.isnan(pmra) | np.isnan(pmdec)), ~np.isnan(rv)
    code = np.where(has_pm, np.where(has_rv, 0, 1), np.where(has_rv, 2, 3)).astype(np.int8)
    at_ref = motion.Astrometry(ra, dec, distance, np.where(has_pm, pmra, 0.0), np.where(has_pm, pmdec, 0.0), np.where(has_rv, rv, 0.0),
                               ref_epoch)
    rows = np.flatnonzero(keep)
    stars = at_ref[rows]
    epoch = options.universe_epoch
    if np.any(stars.epoch != epoch):
        stars = motion.propagate(stars, epoch)
    moved = motion.Astrometry(*(np.full(n, np.nan) for _ in range(6)), epoch)
    for name in ("ra_deg", "dec_deg", "distance_pc", "pmra_mas_yr", "pmdec_mas_yr", "radial_velocity_km_s"):
        getattr(moved, name)[rows] = getattr(stars, name)
    failed = np.zeros(n, dtype=bool)
    failed[rows] = ~(np.isfinite(stars.ra_deg) & np.isfinite(stars.dec_deg) & np.isfinite(stars.distance_pc) & (stars.distance_pc > 0))
    drop("invalid_motion", failed)
    return moved, code, {"pmra": pmra, "pmdec": pmdec, "radial_velocity": rv}


def _distances(batch: pa.RecordBatch, source: str, options: IngestOptions, drop: Callable[[str, np.ndarray], None]) -> tuple[np.ndarray, np.ndarray]:
    """Distance in pc and method code per row; rows without one are dropped."""
    n = batch.num_rows
    method = np.zeros(n, dtype=np.int8)
    if source != "parallax":
        distance = _column(batch, source)
        drop("missing_distance", np.isnan(distance))
        drop("invalid_distance", ~(np.isfinite(distance) & (distance > 0)))
        method[:] = DISTANCE_METHODS.index("column")
        return distance, method
    parallax = _column(batch, "parallax")
    error = _column(batch, "parallax_error")
    if error is None:
        error = np.full(n, np.nan)
    drop("missing_parallax", np.isnan(parallax))
    drop("invalid_parallax", np.isinf(parallax) | np.isinf(error))
    corrected = parallax - options.parallax_zero_point_mas
    threshold = options.min_parallax_over_error
    good = corrected > 0
    if threshold > 0:
        good &= corrected >= threshold * error  # False where the error is missing
    if options.parallax_policy == "drop":
        drop("nonpositive_parallax", corrected <= 0)
        drop("low_parallax_over_error", ~good & (error > 0))
        drop("missing_parallax_error", ~good)
        return astro.distance_from_parallax(parallax, options.parallax_zero_point_mas), method
    drop("missing_parallax_error", ~good & ~(error > 0))
    distance = astro.distance_from_parallax(parallax, options.parallax_zero_point_mas)
    low = ~good & (error > 0)
    if low.any():
        distance[low] = astro.edsd_mode_distance(parallax[low], error[low], options.edsd_length_scale_pc, options.parallax_zero_point_mas)
        method[low] = DISTANCE_METHODS.index("edsd")
    return distance, method


def _temperatures(batch: pa.RecordBatch, relation: str) -> tuple[np.ndarray, np.ndarray]:
    """Colour-source code and Teff per row, falling back as documented."""
    n = batch.num_rows
    teff = np.full(n, colour.NEUTRAL_TEFF_K)
    code = np.full(n, COLOUR_METHODS.index("neutral"), dtype=np.int8)
    teff_gspphot = _column(batch, "teff_gspphot")
    if teff_gspphot is not None:
        ok = np.isfinite(teff_gspphot) & (teff_gspphot > 0)
        teff[ok] = np.clip(teff_gspphot[ok], colour.TEFF_MIN_K, colour.TEFF_MAX_K)
        code[ok] = COLOUR_METHODS.index("teff_gspphot")
    bp, rp = _column(batch, "phot_bp_mean_mag"), _column(batch, "phot_rp_mean_mag")
    if bp is not None and rp is not None:
        c = bp - rp
        ok = np.isfinite(c)
        teff[ok] = colour.teff_from_bp_rp(c[ok], relation)
        code[ok] = COLOUR_METHODS.index("bp_minus_rp")
    bp_rp = _column(batch, "bp_rp")
    if bp_rp is not None:
        ok = np.isfinite(bp_rp)
        teff[ok] = colour.teff_from_bp_rp(bp_rp[ok], relation)
        code[ok] = COLOUR_METHODS.index("bp_rp")
    return code, teff


def brightest(table: pa.Table, limit: int) -> pa.Table:
    """The ``limit`` rows of smallest (G, line), in input order."""
    if table.num_rows <= limit:
        return table
    g = table.column("phot_g_mean_mag").to_numpy()
    line = table.column("line").to_numpy()
    order = np.lexsort((line, g))[:limit]
    return table.take(np.sort(order))


class _Brightest:
    """Running selection of the ``limit`` brightest rows with bounded memory."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tables: list[pa.Table] = []
        self.rows = 0

    def add(self, table: pa.Table) -> None:
        self.tables.append(table)
        self.rows += table.num_rows
        if self.rows > 2 * self.limit:
            self._trim()

    def _trim(self) -> None:
        merged = brightest(pa.concat_tables(self.tables), self.limit) if self.tables else STAR_SCHEMA.empty_table()
        self.tables, self.rows = [merged], merged.num_rows

    def result(self) -> pa.Table:
        self._trim()
        return self.tables[0]


def _write_part(
    batches: Iterator[tuple[pa.RecordBatch, int]],
    label: str,
    distance_source: str,
    options: IngestOptions,
    part_path: str | Path,
    summary_path: str | Path,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    tally = Tally()
    top = _Brightest(options.limit) if options.limit else None
    started = time.perf_counter()
    next_report = 1_000_000
    with atomic_path(part_path) as tmp:
        with pa.ipc.new_file(str(tmp), STAR_SCHEMA) as writer:
            for batch, first_line in batches:
                table = convert_batch(batch, first_line, distance_source, options, tally)
                if top is not None:
                    top.add(table)
                elif table.num_rows:
                    tally.source_ids.add(table.column("source_id"))
                    writer.write_table(table)
                if progress and tally.rows_read >= next_report:
                    rate = tally.rows_read / max(time.perf_counter() - started, 1e-9)
                    progress(f"{label}: {tally.rows_read:,} rows read, {tally.rows_kept:,} kept ({rate:,.0f} rows/s)")
                    next_report += 1_000_000
            if top is not None:
                kept = top.result()
                tally.count("not_among_brightest", tally.rows_kept - kept.num_rows)
                tally.rows_kept = kept.num_rows
                tally.source_ids.add(kept.column("source_id"))
                writer.write_table(kept)
    summary = {"source": label, "distance_source": distance_source, **tally.as_dict(), "options": options.as_dict()}
    write_json(summary_path, summary)
    if progress:
        progress(f"{label}: done, {tally.rows_read:,} rows read, {tally.rows_kept:,} kept in {time.perf_counter() - started:.1f} s")
    return summary


def ingest_file(
    path: str | Path,
    part_path: str | Path,
    summary_path: str | Path,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[str], None] | None = None,
    block_size: int = catalog.DEFAULT_BLOCK_SIZE,
) -> dict[str, Any]:
    """Stream one catalogue file into a star-table part and its tally."""
    layout = catalog.inspect_csv(path)
    distance_source = resolve_distance_source(layout.columns, options.distance_source, str(path))
    catalog.check_required_columns(layout, (distance_source,))
    return _write_part(catalog.iter_batches(layout, block_size), str(path), distance_source, options, part_path, summary_path, progress)


def ingest_synthetic(
    n_stars: int,
    seed: int,
    part_path: str | Path,
    summary_path: str | Path,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[str], None] | None = None,
    model: str = "disc",
    part: int = 0,
    parts: int = 1,
) -> dict[str, Any]:
    """Generate the synthetic sky (see :func:`helios.catalog.synthetic_batches`), or its part ``part`` of
    ``parts`` (:func:`helios.catalog.synthetic_part`), as an ingest part."""
    if n_stars < 1:
        raise HeliosError(f"synthetic sky needs at least one star, got {n_stars}")
    if model not in catalog.SYNTHETIC_MODELS:
        raise HeliosError(f"unknown synthetic model {model!r}; choose one of {', '.join(catalog.SYNTHETIC_MODELS)}")

    if not 0 <= part < parts or parts > n_stars:
        raise HeliosError(f"synthetic sky of {n_stars:,} stars: part {part} of {parts} does not exist (at most one part a star)")
    count, part_seed, first_id = catalog.synthetic_part(n_stars, seed, part, parts)

    def numbered() -> Iterator[tuple[pa.RecordBatch, int]]:
        line = 1
        for batch in catalog.synthetic_batches(count, part_seed, model=model, first_id=first_id):
            yield batch, line
            line += batch.num_rows

    name = f"synthetic:{n_stars}:{seed}" + ("" if model == "disc" else f":{model}") + ("" if parts == 1 else f":part{part + 1}of{parts}")
    distance_source = "parallax" if model == "disc" else "dist"
    return _write_part(numbered(), name, distance_source, options, part_path, summary_path, progress)


def ingest_source(
    source: dict[str, Any],
    part_path: str | Path,
    summary_path: str | Path,
    options: IngestOptions = IngestOptions(),
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Ingest one source: ``{"kind": "file", "path": P}`` or ``{"kind": "synthetic", "stars": N, "seed": S}``."""
    if source.get("kind") == "file":
        return ingest_file(source["path"], part_path, summary_path, options, progress)
    if source.get("kind") == "synthetic":
        return ingest_synthetic(int(source["stars"]), int(source["seed"]), part_path, summary_path, options, progress,
                                source.get("model", "disc"), int(source.get("part", 0)), int(source.get("parts", 1)))
    raise HeliosError(f"unknown catalogue source {source!r}")
