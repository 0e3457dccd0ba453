"""Star catalogue readers: Gaia DR3 CSV layouts, streamed, and a synthetic sky.

Accepted inputs (plain or gzip, detected from the bytes, not the name):

* bulk ``GaiaSource_*.csv.gz``: an ECSV header block of ``#`` lines, one CSV
  header row, then data with the literal ``null`` for missing values;
* Gaia Archive query downloads: one header row, empty fields (or ``null`` /
  ``NaN``) for missing values, any subset or order of columns.

Column names are matched case-insensitively.  Only the columns HELIOS uses are
parsed, so a 152-column bulk file costs little more than a 10-column query.
Files are read in blocks of ``block_size`` bytes: memory does not grow with
the file.
"""

from __future__ import annotations

import csv
import gzip
import math
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from helios.astro import ICRS_TO_GALACTIC
from helios.errors import CatalogError

#: Values read as missing in any numeric column.
NULL_VALUES = ["", "null", "NULL", "NaN", "nan", "NA"]

#: Columns HELIOS reads when present, with their Arrow types.
COLUMN_TYPES: dict[str, pa.DataType] = {
    "source_id": pa.int64(),
    "ra": pa.float64(),
    "dec": pa.float64(),
    "parallax": pa.float64(),
    "parallax_error": pa.float64(),
    "phot_g_mean_mag": pa.float64(),
    "bp_rp": pa.float64(),
    "phot_bp_mean_mag": pa.float64(),
    "phot_rp_mean_mag": pa.float64(),
    "teff_gspphot": pa.float64(),
    "r_med_geo": pa.float64(),
    "r_med_photogeo": pa.float64(),
    "distance_gspphot": pa.float64(),
    "dist": pa.float64(),
    "pmra": pa.float64(),
    "pmdec": pa.float64(),
    "radial_velocity": pa.float64(),
    "ref_epoch": pa.float64(),
}

#: Distance columns tried, in this order, when ``distance_source`` is ``auto``
#: and the file has no parallax.
DISTANCE_COLUMNS = ("r_med_geo", "r_med_photogeo", "distance_gspphot", "dist")

REQUIRED_COLUMNS = ("ra", "dec", "phot_g_mean_mag")

DEFAULT_BLOCK_SIZE = 8 << 20
_SNIFF_BYTES = 1 << 16
#: Longest header row accepted (a Gaia DR3 bulk header, 152 columns, is under 3 KiB).
MAX_HEADER_BYTES = 1 << 20
UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class CsvLayout:
    """What :func:`inspect_csv` learnt about a catalogue file."""

    path: Path
    compressed: bool
    comment_lines: int  # leading '#' lines (the ECSV block), skipped
    columns: tuple[str, ...]  # lower-cased header names, file order

    @property
    def header_lines(self) -> int:
        """Lines before the first data row (comment block plus the header row)."""
        return self.comment_lines + 1

    def has(self, column: str) -> bool:
        return column in self.columns


def _open_text_head(path: Path) -> tuple[bytes, bool]:
    """First bytes of the (decompressed) file and whether it was gzip."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    compressed = magic == b"\x1f\x8b"
    try:
        if compressed:
            with gzip.open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
        else:
            with open(path, "rb") as handle:
                head = handle.read(_SNIFF_BYTES)
    except (OSError, EOFError, zlib.error) as exc:
        raise CatalogError(f"{path}: cannot decompress the start of the file ({exc}); is it a complete .gz file?") from exc
    return head, compressed


def _find_header(path: Path, compressed: bool) -> tuple[int, bytes]:
    """Count the leading ``#`` lines and return the raw header row after them.

    Reads line by line, so neither the comment block nor the header row is
    limited by the sniffed block; a header row longer than
    :data:`MAX_HEADER_BYTES` is refused by name.  A UTF-8 byte-order mark at the
    start of the file is dropped.
    """
    comment_lines = 0
    try:
        with gzip.open(path, "rb") if compressed else open(path, "rb") as handle:
            line = handle.readline(MAX_HEADER_BYTES + 1)
            if line.startswith(UTF8_BOM):
                line = line[len(UTF8_BOM) :]
            while line.startswith(b"#"):
                comment_lines += 1
                while not line.endswith(b"\n"):  # a long comment line: skip the rest of it
                    line = handle.readline(MAX_HEADER_BYTES + 1)
                    if not line:
                        break
                line = handle.readline(MAX_HEADER_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise CatalogError(f"{path}: cannot decompress the start of the file ({exc}); is it a complete .gz file?") from exc
    if not line:
        raise CatalogError(f"{path}: no CSV header row found after {comment_lines} '#' comment lines")
    if len(line) > MAX_HEADER_BYTES and not line.endswith(b"\n"):
        raise CatalogError(
            f"{path}: line {comment_lines + 1}: the header row is longer than {MAX_HEADER_BYTES} bytes "
            f"({MAX_HEADER_BYTES >> 20} MiB); is this a CSV file with one header row of column names?"
        )
    return comment_lines, line


def _parse_header(path: Path, line_number: int, raw: bytes) -> tuple[str, ...]:
    """Lower-cased column names of the header row, parsed as CSV (quoted names may hold commas)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: line {line_number}: the header row is not UTF-8 text; expected a CSV catalogue") from None
    text = text.rstrip("\r\n")
    try:
        rows = list(csv.reader([text], skipinitialspace=True, strict=True))
    except csv.Error as exc:
        raise CatalogError(f"{path}: line {line_number}: the header row is not valid CSV ({exc})") from None
    fields = rows[0] if rows else [""]
    return tuple(name.strip().lower() for name in fields)


def inspect_csv(path: str | Path) -> CsvLayout:
    """Check that ``path`` is a readable CSV catalogue and read its header.

    The header row is parsed as CSV (quoted names, a UTF-8 byte-order mark and
    CRLF line ends are accepted).  Raises :class:`CatalogError` for a missing,
    empty, binary or header-less file, a header row longer than
    :data:`MAX_HEADER_BYTES`, or duplicate column names.
    """
    path = Path(path)
    if not path.is_file():
        raise CatalogError(f"{path}: no such catalogue file")
    head, compressed = _open_text_head(path)
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM) :]
    if not head.strip():
        raise CatalogError(f"{path}: the file is empty; expected a CSV header row followed by star rows")
    if b"\x00" in head:
        raise CatalogError(f"{path}: this is a binary file, not a CSV catalogue (it contains NUL bytes)")
    comment_lines, raw_header = _find_header(path, compressed)
    columns = _parse_header(path, comment_lines + 1, raw_header)
    seen: set[str] = set()
    for name in columns:
        if name in seen:
            raise CatalogError(f"{path}: line {comment_lines + 1}: column {name!r} appears twice in the header (names are case-insensitive)")
        seen.add(name)
    return CsvLayout(path=path, compressed=compressed, comment_lines=comment_lines, columns=columns)


def check_required_columns(layout: CsvLayout, distance_columns: tuple[str, ...]) -> None:
    """Fail clearly when the file lacks a position, a magnitude or any distance."""
    missing = [c for c in REQUIRED_COLUMNS if not layout.has(c)]
    if not any(layout.has(c) for c in distance_columns):
        missing.append(" or ".join(distance_columns))
    if missing:
        raise CatalogError(
            f"{layout.path}: missing required column(s): {', '.join(missing)}. "
            f"The header has: {', '.join(layout.columns[:20])}{' ...' if len(layout.columns) > 20 else ''}"
        )


def _reader(layout: CsvLayout, columns: list[str], block_size: int, as_text: bool = False) -> pacsv.CSVStreamingReader:
    stream = pa.input_stream(str(layout.path), compression="gzip" if layout.compressed else None)
    types = {c: (pa.string() if as_text else COLUMN_TYPES[c]) for c in columns}
    return pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(skip_rows=layout.header_lines, column_names=list(layout.columns), block_size=block_size),
        convert_options=pacsv.ConvertOptions(include_columns=columns, column_types=types, null_values=NULL_VALUES, strings_can_be_null=True),
    )


def iter_batches(layout: CsvLayout, block_size: int = DEFAULT_BLOCK_SIZE) -> Iterator[tuple[pa.RecordBatch, int]]:
    """Yield ``(batch, first_line)`` for the known columns present in the file.

    ``first_line`` is the 1-based line number of the batch's first row (files
    with quoted newlines inside fields would shift it; Gaia files have none).
    """
    columns = [c for c in layout.columns if c in COLUMN_TYPES]
    line = layout.header_lines + 1
    try:
        reader = _reader(layout, columns, block_size)
        for batch in reader:
            yield batch, line
            line += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise _explain_arrow_error(layout, columns, str(exc), line, block_size) from None
    except (OSError, EOFError, zlib.error) as exc:
        raise CatalogError(
            f"{layout.path}: the file ends early or is corrupt after about line {line} ({exc}). "
            "Re-download it; a truncated .gz file cannot be read to the end."
        ) from None


_CONVERSION = re.compile(r"In CSV column #(\d+): .*conversion error to (\w+): invalid value '(.*)'", re.S)


def _explain_arrow_error(layout: CsvLayout, columns: list[str], message: str, line: int, block_size: int) -> CatalogError:
    match = _CONVERSION.search(message)
    if not match:
        return CatalogError(f"{layout.path}: malformed CSV near line {line}: {message.splitlines()[0]}")
    index, target, value = int(match.group(1)), match.group(2), match.group(3)
    column = layout.columns[index] if index < len(layout.columns) else f"#{index}"
    bad_line = _first_unparsable_line(layout, column, block_size)
    where = f"line {bad_line}" if bad_line is not None else f"near line {line}"
    kind = "an integer" if target.startswith("int") else "a number"
    return CatalogError(
        f"{layout.path}: {where}, column {column!r}: value {value!r} is not {kind} (use an empty field or 'null' for a missing value)"
    )


def _parses(value: str, integer: bool) -> bool:
    try:
        int(value) if integer else float(value)
        return True
    except ValueError:
        return False


def _first_unparsable_line(layout: CsvLayout, column: str, block_size: int) -> int | None:
    """Find the line of the first value of ``column`` that is not numeric (error path only)."""
    if column not in COLUMN_TYPES:
        return None
    integer = pa.types.is_integer(COLUMN_TYPES[column])
    line = layout.header_lines + 1
    try:
        for batch in _reader(layout, [column], block_size, as_text=True):
            values = batch.column(0).to_pylist()
            for offset, value in enumerate(values):
                if value is not None and value not in NULL_VALUES and not _parses(value, integer):
                    return line + offset
            line += batch.num_rows
    except (pa.ArrowInvalid, OSError):
        return None
    return None


# --------------------------------------------------------------------------------------
# Synthetic sky


SYNTHETIC_BATCH_ROWS = 250_000


SYNTHETIC_MODELS = ("disc", "milky-way")


def synthetic_part(n_stars: int, seed: int, part: int, parts: int) -> tuple[int, int | list[int], int]:
    """Part ``part`` of a synthetic sky cut into ``parts``: its star count, its generator's seed and its first
    source_id.  One part is the whole sky from ``seed``; parts draw from ``[seed, part]`` and number their
    stars on from the parts before them, so every star's source_id is unique."""
    if not 0 <= part < parts:
        raise ValueError(f"part {part} of {parts}")
    size, extra = divmod(n_stars, parts)
    count = size + (part < extra)
    first = part * size + min(part, extra) + 1
    return count, (seed if parts == 1 else [seed, part]), first


def synthetic_batches(n_stars: int, seed: int | list[int], batch_rows: int = SYNTHETIC_BATCH_ROWS, model: str = "disc",
                      first_id: int = 1) -> Iterator[pa.RecordBatch]:
    """A deterministic synthetic sky in the Gaia Archive column layout.

    ``model="milky-way"``: :mod:`helios.galaxy` (thin and thick discs, a bulge, a luminosity function;
    exact distances in a ``dist`` column).  ``model="disc"`` (the default), a toy sky:

    Stars fill a thick disc around the Sun (uniform density in the galactic
    plane out to 1.5 kpc, exponential in height with a 300 pc scale), with a
    main-sequence-like relation between absolute magnitude and BP-RP, Gaia-like
    parallax errors, and the derived apparent G.  Meant for tests, benchmarks
    and demos, not for science.  The same ``(n_stars, seed, batch_rows)`` gives the
    same rows (batches are drawn from one generator in order); source_ids run from ``first_id``.
    """
    if model == "milky-way":
        from helios.galaxy import milky_way_batches

        yield from milky_way_batches(n_stars, seed, batch_rows, first_id)
        return
    if model != "disc":
        raise ValueError(f"unknown synthetic model {model!r}; choose one of {', '.join(SYNTHETIC_MODELS)}")
    rng = np.random.default_rng(seed)
    produced = 0
    while produced < n_stars:
        n = min(batch_rows, n_stars - produced)
        radius = 1500.0 * np.sqrt(rng.random(n))
        angle = rng.random(n) * 2 * math.pi
        height = rng.laplace(0.0, 300.0, n)
        gal = np.stack([radius * np.cos(angle), radius * np.sin(angle), height], axis=1)
        icrs = gal @ ICRS_TO_GALACTIC  # row vectors: r_icrs = A^T r_gal
        dist = np.linalg.norm(icrs, axis=1)
        ra = np.degrees(np.arctan2(icrs[:, 1], icrs[:, 0])) % 360.0
        dec = np.degrees(np.arcsin(np.clip(icrs[:, 2] / dist, -1.0, 1.0)))
        abs_mag = rng.normal(4.0, 2.5, n)
        bp_rp = np.clip(0.25 + 0.16 * abs_mag + rng.normal(0.0, 0.15, n), -0.4, 4.5)
        g_mag = abs_mag + 5.0 * np.log10(dist / 10.0)
        parallax_error = 0.02 + 0.01 * np.exp(np.clip(g_mag - 15.0, -20, 8))
        parallax = 1000.0 / dist + rng.normal(0.0, 1.0, n) * parallax_error - 0.017
        yield pa.RecordBatch.from_pydict(
            {
                "source_id": pa.array(np.arange(produced, produced + n, dtype=np.int64) + first_id),
                "ra": ra,
                "dec": dec,
                "parallax": parallax,
                "parallax_error": parallax_error,
                "phot_g_mean_mag": g_mag,
                "bp_rp": bp_rp,
            }
        )
        produced += n

