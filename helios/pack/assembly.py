"""A universe and what was trained for it, cell by cell, as pack blocks: ``helios pack`` and the workflow's rule.

Every cell's stars are its points (brightest first) and velocities; a trained cell adds the blocks its
product makes (:meth:`helios.products.Product.pack_blocks`: the levels' Gaussians, or the seed trainer's
splats).  Cells are encoded when asked for, so the validation holds one cell at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from helios import ingest, photometry, star_ids
from helios.cell import load_cell
from helios.errors import HeliosError
from helios.pack.format import PackBlock, PackCell, write_pack
from helios.pack.records import UNKNOWN_METHOD, encode_ids, encode_points, encode_velocities
from helios.partition import read_index
from helios.products import product_of
from helios.universe import read_trained_index

#: The method columns an ``ids`` record codes, each by its place in ingest's list.
METHODS = {"distance_method": ingest.DISTANCE_METHODS, "colour_method": ingest.COLOUR_METHODS, "motion_method": ingest.MOTION_METHODS}


def pack_cells(universe_dir: str | Path, trained_index: dict[str, Any] | None, trained_dir: str | Path | None,
               encoding: str = "f32") -> list[PackCell]:
    """Every cell of the universe as pack input: its stars as points, and what was trained for it."""
    return list(iter_pack_cells(universe_dir, trained_index, trained_dir, encoding))


def iter_pack_cells(universe_dir: str | Path, trained_index: dict[str, Any] | None, trained_dir: str | Path | None,
                    encoding: str = "f32", cells: list[dict[str, Any]] | None = None) -> Iterator[PackCell]:
    """:func:`pack_cells` one cell at a time, encoded when it is asked for (``helios validate`` holds one cell);
    ``cells``: these entries of the universe's index (a shard's) instead of all of them."""
    universe_dir = Path(universe_dir)
    trained = {c["id"]: c for c in trained_index["cells"]} if trained_index else {}
    trained_product = product_of(trained_index) if trained_index else None
    for entry in read_index(universe_dir / "index.json")["cells"] if cells is None else cells:
        stars = load_cell(universe_dir / entry["file"], velocities=True)
        centre = np.asarray(entry["centre_pc"], np.float64)
        if stars.dropped_nonfinite:
            raise HeliosError(f"{universe_dir / entry['file']}: {stars.dropped_nonfinite} star(s) with non-finite values")
        relative = stars.positions * stars.scale_pc + stars.centre_pc - centre
        blocks = [PackBlock("points", len(stars.abs_mag), encode_points(relative, stars.abs_mag, photometry.unit_luminance(stars.rgb))),
                  PackBlock("velocities", len(stars.abs_mag), encode_velocities(stars.velocities)),
                  PackBlock("ids", len(stars.abs_mag), cell_ids(universe_dir / entry["file"], len(stars.abs_mag)))]
        cell = trained.get(entry["id"])
        if cell is not None and trained_product is not None:
            blocks += trained_product.pack_blocks(Path(trained_dir), cell, stars.abs_mag, float(entry["radius_pc"]), encoding)
        yield PackCell(entry["id"], centre, float(entry["radius_pc"]), len(stars.abs_mag), blocks)


def cell_ids(path: Path, count: int) -> bytes:
    """The ``ids`` records of a cell file's stars, in its order (the points'): catalogue id, temperature, methods."""
    names = ("source_id", "teff_k", *METHODS)
    try:
        cell_file = pq.ParquetFile(path)
        table = cell_file.read(columns=[n for n in names if n in cell_file.schema_arrow.names])
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise HeliosError(f"{path}: not a readable parquet cell file ({exc})") from None
    if table.num_rows != count:
        raise HeliosError(f"{path}: {table.num_rows} rows where the cell has {count} stars")
    columns = set(table.column_names)
    source_id = (table.column("source_id").fill_null(star_ids.MISSING_ID).to_numpy() if "source_id" in columns
                 else np.full(count, star_ids.MISSING_ID, np.int64))
    teff = table.column("teff_k").to_numpy(zero_copy_only=False) if "teff_k" in columns else np.full(count, np.nan)
    methods = {}
    for name, values in METHODS.items():
        codes = np.full(count, UNKNOWN_METHOD, np.uint8)
        if name in columns:
            codes = method_codes(table.column(name), values)
        methods[name] = codes
    return encode_ids(source_id, teff, methods)


def method_codes(column: pa.ChunkedArray, values: tuple[str, ...]) -> np.ndarray:
    """Each row's place in ``values`` (:data:`UNKNOWN_METHOD` for null or anything else), through the dictionary the
    cell files keep these columns in: one lookup a distinct value, not one a star."""
    column = column.combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = column.dictionary_encode()
    lookup = np.array([values.index(v) if v in values else UNKNOWN_METHOD for v in column.dictionary.to_pylist()] + [UNKNOWN_METHOD], np.uint8)
    indices = column.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)
    return lookup[indices]


def pack_universe(universe_dir: str | Path, output: str | Path, trained_dir: str | Path | None = None, encoding: str = "f32",
                  index_path: str | Path | None = None) -> dict[str, Any]:
    """``helios pack``: every cell of a universe, with what was trained for it when ``trained_dir`` has it, into one file."""
    universe_index = read_index(Path(universe_dir) / "index.json")
    index = read_trained_index(index_path or Path(trained_dir) / "index.json") if trained_dir is not None else None
    return write_pack(output, pack_cells(universe_dir, index, trained_dir, encoding), pack_meta(universe_index, index))


def pack_meta(universe_index: dict[str, Any], trained_index: dict[str, Any] | None) -> dict[str, Any]:
    """A pack's ``meta``: the universe's grid, frame and epoch, and what was trained for it."""
    return {"grid": universe_index["grid"], "frame": universe_index["frame"], "epoch": universe_index["epoch"],
            "ids": universe_index.get("ids", "source_id"),
            "ground_truth": trained_index["ground_truth"] if trained_index else None,
            "config_hash": trained_index["config_hash"] if trained_index else None}
