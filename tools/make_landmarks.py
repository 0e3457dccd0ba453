"""Make HELIOS's built-in landmarks file from a landmarks CSV.

Input columns: name, category, ra_deg, dec_deg, dist_pc, x_pc, y_pc, z_pc,
vmag, epoch, source, notes (heliocentric ICRS Cartesian positions in pc; each
row names its source).  Output: ``helios/data/landmarks.json`` in the schema
that ``helios.landmarks`` reads, every row kept, in input order.  Names that
occur more than once (the two stars of M 40) get their first other catalogue
designation from ``notes`` appended in brackets, so that names are unique.

Usage: python tools/make_landmarks.py LANDMARKS_3D.csv helios/data/landmarks.json
"""

from __future__ import annotations

import argparse
import json
import math

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("output")
    args = parser.parse_args()
    table = pd.read_csv(args.csv, keep_default_na=False, na_values={"vmag": [""]})
    entries = []
    repeated = set(table["name"][table["name"].duplicated()])
    for row in table.to_dict("records"):
        if row["name"] in repeated:
            # Names must be unique: components of one object (M 40 is a double star)
            # get their first catalogue designation other than the name itself.
            designation = next(d for d in row["notes"].split(";") if d and not row["name"].startswith(d))
            row["name"] = f"{row['name']} [{designation}]"
        entry = {key: row[key] for key in ("name", "category", "x_pc", "y_pc", "z_pc", "ra_deg", "dec_deg", "dist_pc", "epoch", "source")}
        if not (isinstance(row["vmag"], float) and math.isnan(row["vmag"])):
            entry["vmag"] = row["vmag"]
        if row["notes"]:
            entry["notes"] = row["notes"]
        entries.append(entry)
    document = {
        "format": "helios-landmarks",
        "version": 1,
        "frame": "icrs",
        "units": "pc",
        "description": "Heliocentric ICRS positions of Messier and Caldwell objects, the Magellanic Clouds, "
        "named bright stars (Hipparcos-2), the Sun, the planets (2025-01-01) and five spacecraft (2012-01-02). "
        "Each entry names its source.",
        "landmarks": entries,
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
    print(f"{len(entries)} landmarks written to {args.output}")


if __name__ == "__main__":
    main()
