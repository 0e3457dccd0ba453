"""Reading the Minor Planet Center's orbit file, ``MPCORB.DAT`` (plain or ``.gz``), line by line.

The format is fixed-width (minorplanetcenter.net/iau/info/MPOrbitFormat.html; skyfield's ``skyfield.data.mpc``
has the same columns, and ``tests/test_mpcorb.py`` checks this reader against it).  The file opens with a text
header ending in a line of dashes; blank lines separate its groups.  Every orbit line gives the packed designation,
H and G (blank: unknown H, G = 0.15), the epoch (packed, 0h TT), the mean anomaly, the argument of perihelion, the
ascending node and the inclination (degrees, J2000 ecliptic and equinox), the eccentricity, the mean daily motion
(degrees a day; HELIOS takes it from a, as the MPC does, since the file's 8 decimals leave distant objects few
digits), the semimajor axis (au) and, from column 167, the readable designation ("(1) Ceres").

A line that is not an orbit (too short, a field that does not parse, no ellipse) is counted by its reason with the
first line numbers, never fatal; a file without a single orbit is an error naming it.
"""

from __future__ import annotations

import gzip
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from helios.errors import HeliosError

#: The Gaussian gravitational constant k, degrees a day: a body of semimajor axis a au moves k / a^1.5 a day.
GAUSS_K_DEG = float(np.degrees(0.01720209895))
#: G where the file gives none (the MPC's default slope).
DEFAULT_G = 0.15
#: The shortest line that holds every element (to the semimajor axis, columns 93-103).
MIN_LINE = 103
#: How a synthetic file's header begins (helios/synthetic_belt.py).
SYNTHETIC_HEADER = "HELIOS synthetic MPCORB"
#: Lines parsed into arrays at a time (bounds the memory of a 1.3-million-line file).
CHUNK_LINES = 65_536
#: A parsed orbit.  ``number``: the minor planet's number (0: unnumbered); ``h``: NaN where the file has none.
ORBIT = np.dtype([("number", "<u4"), ("h", "<f4"), ("g", "<f4"), ("epoch_jd", "<f8"), ("mean_anomaly_deg", "<f8"),
                  ("peri_deg", "<f8"), ("node_deg", "<f8"), ("incl_deg", "<f8"), ("e", "<f8"), ("motion_deg_day", "<f8"),
                  ("a_au", "<f8")])
#: Columns (0-based, end exclusive) of the fields read, in this order.
COLUMNS = (("designation", 0, 7), ("H", 8, 13), ("G", 14, 19), ("epoch", 20, 25), ("M", 26, 35), ("peri", 37, 46),
           ("node", 48, 57), ("incl", 59, 68), ("e", 70, 79), ("n", 80, 91), ("a", 92, 103))
_DESIGNATION = re.compile(r"[0-9A-Za-z~]{5}  |[0-9A-Za-z~_]{7}")  # "_": a synthetic designation (helios/synthetic_belt.py)
_EPOCH = re.compile(r"[I-L]\d\d[1-9A-C][1-9A-V]")
_PACKED_DIGIT = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}


class MpcorbError(HeliosError):
    pass


@dataclass
class ReadSummary:
    """What a read found: orbit lines, header lines, blank lines and bad lines (by reason, with the first numbers)."""

    path: str
    lines: int = 0
    orbits: int = 0
    header_lines: int = 0
    blank_lines: int = 0
    bad: dict[str, list[int]] = field(default_factory=dict)  # reason -> line numbers (the first FIRST_BAD kept)
    bad_counts: dict[str, int] = field(default_factory=dict)
    no_h: int = 0
    synthetic: bool = False  # the header says helios/synthetic_belt.py wrote it

    FIRST_BAD = 5

    def reject(self, reason: str, line_number: int) -> None:
        self.bad_counts[reason] = self.bad_counts.get(reason, 0) + 1
        kept = self.bad.setdefault(reason, [])
        if len(kept) < self.FIRST_BAD:
            kept.append(line_number)

    @property
    def bad_lines(self) -> int:
        return sum(self.bad_counts.values())

    def message(self) -> str:
        """One line a person reads: what was kept and every reason a line was not."""
        text = f"{self.path}: {self.orbits:,} orbits from {self.lines:,} lines"
        if self.header_lines:
            text += f" ({self.header_lines} header lines"
            text += f", {self.blank_lines} blank)" if self.blank_lines else ")"
        if self.bad_counts:
            reasons = "; ".join(f"{count:,} {reason} (line {', '.join(map(str, self.bad[reason]))}{', ...' if count > len(self.bad[reason]) else ''})"
                                for reason, count in sorted(self.bad_counts.items()))
            text += f"; {self.bad_lines:,} bad lines skipped: {reasons}"
        return text

    def as_dict(self) -> dict:
        return {"path": self.path, "synthetic": self.synthetic, "lines": self.lines, "orbits": self.orbits, "header_lines": self.header_lines,
                "blank_lines": self.blank_lines, "no_h": self.no_h, "bad_lines": self.bad_lines,
                "bad": {reason: {"count": self.bad_counts[reason], "first_lines": lines} for reason, lines in sorted(self.bad.items())}}


def packed_epoch_jd(packed: str) -> float:
    """The Julian date (TT, 0h) of a packed epoch: ``K25BL`` is 2025 November 21 (century I-L = 18-21, month 1-9 A-C,
    day 1-9 A-V)."""
    year = 100 * (ord(packed[0]) - ord("I") + 18) + int(packed[1:3])
    month = _PACKED_DIGIT[packed[3]]
    day = _PACKED_DIGIT[packed[4]]
    return julian_date(year, month, day)


def julian_date(year: int, month: int, day: float) -> float:
    """The Julian date of 0h of a Gregorian calendar date (Meeus, Astronomical Algorithms, 7.1)."""
    if month <= 2:
        year, month = year - 1, month + 12
    century = year // 100
    return int(365.25 * (year + 4716)) + int(30.6001 * (month + 1)) + day + 2 - century + century // 4 - 1524.5


def packed_number(packed: str) -> int:
    """A numbered minor planet's number from its packed designation (``00433`` 433, ``A0345`` 100345, ``~0000``
    620000); 0 for a provisional designation."""
    packed = packed.strip()
    if len(packed) != 5:
        return 0
    if packed[0] == "~":
        value = 0
        for c in packed[1:]:
            value = 62 * value + _PACKED_DIGIT[c]
        return 620000 + value
    if packed[1:].isdigit() and packed[0] in _PACKED_DIGIT:
        return _PACKED_DIGIT[packed[0]] * 10000 + int(packed[1:])
    return 0


def parse_line(line: str) -> tuple[str, float, float, str, float, float, float, float, float, float, float] | str:
    """An orbit line's fields (designation, H (NaN: blank), G, packed epoch, M, peri, node, incl, e, n, a), or why
    the line is not one."""
    if len(line) < MIN_LINE:
        return f"shorter than {MIN_LINE} characters"
    if not _DESIGNATION.fullmatch(line[0:7]):
        return "unreadable designation (columns 1-7)"
    if not _EPOCH.fullmatch(line[20:25]):
        return "unreadable epoch (columns 21-25)"
    values: list = [line[0:7].strip()]
    for name, start, end in COLUMNS[1:]:
        text = line[start:end]
        if name == "epoch":
            values.append(text)
            continue
        try:
            value = float(text) if text.strip() or name not in ("H", "G") else (np.nan if name == "H" else DEFAULT_G)
        except ValueError:
            return f"unreadable {name} (columns {start + 1}-{end})"
        if text.strip() and not math.isfinite(value):
            return f"unreadable {name} (columns {start + 1}-{end})"
        values.append(value)
    e, a = values[8], values[10]
    if not (0 <= e < 1 and a > 0):
        return "not an ellipse (e outside [0, 1) or a <= 0)"
    return tuple(values)


_READABLE = re.compile(r"\((\d+)\) (.+)")
_PROVISIONAL = re.compile(r"\d{4} [A-Z]{2}\d*|\d{4} [PT]-L|\d{4} T-\d")


def proper_name(designation: str) -> str | None:
    """The name in a readable designation, ``(433) Eros`` -> ``Eros``; None for a provisional designation
    (``(12345) 1993 FX``, ``2014 AA``) or none."""
    match = _READABLE.fullmatch(designation.strip())
    if match is None or _PROVISIONAL.fullmatch(match.group(2)):
        return None
    return match.group(2)


def _open_text(path: Path) -> IO[str]:
    raw = gzip.open(path, "rb") if path.name.lower().endswith(".gz") else open(path, "rb")
    return io.TextIOWrapper(raw, encoding="latin-1", newline=None)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with _open_text(path) as handle:
            yield from enumerate((line.rstrip("\r\n") for line in handle), start=1)
    except (OSError, EOFError) as exc:
        raise MpcorbError(f"{path}: cannot read it as MPCORB ({exc})") from None


def _header(path: Path, look: int = 200) -> tuple[int, bool]:
    """The number of the line of dashes that ends MPCORB.DAT's header (0: the file starts with orbits), and whether
    the header says the file is synthetic (helios/synthetic_belt.py)."""
    synthetic = False
    for number, line in _lines(path):
        if number > look:
            break
        synthetic |= line.startswith(SYNTHETIC_HEADER)
        if len(line) >= 20 and set(line.strip()) == {"-"}:
            return number, synthetic
    return 0, False


def read_mpcorb(path: str | Path, progress: Callable[[str], None] | None = None, every: int = 250_000,
                shown_as: str | None = None) -> tuple[np.ndarray, list[str], ReadSummary]:
    """Every orbit of an MPCORB file: the :data:`ORBIT` records, their readable designations and what the read
    found (``shown_as``: the file's name in it, default its path).  Lines with e >= 1 or a <= 0 are bad lines (not an
    ellipse); H blank is NaN (``summary.no_h`` counts them)."""
    path = Path(path)
    if not path.is_file():
        raise MpcorbError(f"{path}: no such MPCORB file")
    summary = ReadSummary(shown_as or str(path))
    header, summary.synthetic = _header(path)
    summary.header_lines = header
    chunks: list[np.ndarray] = []
    fields: list[tuple] = []
    names: list[str] = []
    for number, line in _lines(path):
        summary.lines = number
        if number <= header:
            continue
        if not line.strip():
            summary.blank_lines += 1
            continue
        values = parse_line(line)
        if isinstance(values, str):
            summary.reject(values, number)
            continue
        fields.append(values)
        names.append(line[166:194].strip())
        if len(fields) == CHUNK_LINES:
            chunks.append(_orbits(fields))
            fields = []
            if progress and len(names) % every < CHUNK_LINES:
                progress(f"{path.name}: {len(names):,} orbits read")
    if fields:
        chunks.append(_orbits(fields))
    summary.orbits = len(names)
    if not names:
        raise MpcorbError(f"{summary.message()}: not a single orbit; is this an MPCORB file?")
    orbits = np.concatenate(chunks)
    summary.no_h = int(np.isnan(orbits["h"]).sum())
    return orbits, names, summary


def _orbits(fields: list[tuple]) -> np.ndarray:
    """The :data:`ORBIT` records of parsed lines."""
    orbits = np.zeros(len(fields), ORBIT)
    columns = list(zip(*fields))
    orbits["number"] = [packed_number(d) for d in columns[0]]
    epochs = {packed: packed_epoch_jd(packed) for packed in set(columns[3])}
    orbits["epoch_jd"] = [epochs[p] for p in columns[3]]
    for name, k in (("h", 1), ("g", 2), ("mean_anomaly_deg", 4), ("peri_deg", 5), ("node_deg", 6), ("incl_deg", 7), ("e", 8),
                    ("a_au", 10)):
        orbits[name] = columns[k]
    # n from a (as the MPC computes it): the file's n has 8 decimals, 4 significant digits for Sedna
    orbits["motion_deg_day"] = GAUSS_K_DEG / orbits["a_au"] ** 1.5
    return orbits
