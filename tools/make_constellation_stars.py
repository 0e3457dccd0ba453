"""Make ``helios/data/constellation_stars.csv``: the Hipparcos-2 astrometry of the stars of d3-celestial's figures.

The constellation figures (``helios/constellations.py``) join Hipparcos stars; the package carries their places and
motions itself, so that a site can be made wherever HELIOS is installed.  Input: d3-celestial's data folder (the
client's npm install) and the embedded Hipparcos-2 sample (``data/hipparcos2_hp7.csv.gz``, ``tools/make_sample.py``).
Output: one row per figure star with a positive parallax, sorted by HIP: ``source_id`` (HIP), ``ra``, ``dec`` (ICRS
degrees, epoch J1991.25), ``parallax`` (mas), ``pmra``, ``pmdec`` (mas/yr), as in the sample.

Usage: python tools/make_constellation_stars.py [--d3 client/node_modules/d3-celestial/data]
       [--catalogue data/hipparcos2_hp7.csv.gz] [--output helios/data/constellation_stars.csv]
"""

from __future__ import annotations

import argparse
import csv
import gzip
from pathlib import Path

from helios.constellations import figure_lines

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ("source_id", "ra", "dec", "parallax", "pmra", "pmdec")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d3", type=Path, default=ROOT / "client" / "node_modules" / "d3-celestial" / "data")
    parser.add_argument("--catalogue", type=Path, default=ROOT / "data" / "hipparcos2_hp7.csv.gz")
    parser.add_argument("--output", type=Path, default=ROOT / "helios" / "data" / "constellation_stars.csv")
    args = parser.parse_args()
    figures = figure_lines(args.d3 / "constellations.lines.json", args.d3 / "stars.8.json")
    wanted = {hip for polylines in figures.values() for line in polylines for hip in line}
    with gzip.open(args.catalogue, "rt", encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if int(row["source_id"]) in wanted and float(row["parallax"]) > 0]
    rows.sort(key=lambda row: int(row["source_id"]))
    with open(args.output, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([row[c] for c in COLUMNS] for row in rows)
    print(f"{args.output}: {len(rows)} of the figures' {len(wanted)} stars (the others have no positive parallax in "
          f"{args.catalogue.name})")


if __name__ == "__main__":
    main()
