"""Make helios/data/blackbody_linear_srgb.csv: linear sRGB of blackbodies, 1000-40000 K.

Each row integrates Planck's law against the CIE 1931 2-degree colour-matching
functions (``helios.colour.blackbody_linear_srgb_exact``, which needs
colour-science).  HELIOS interpolates this table at run time.

Usage: python tools/make_blackbody_table.py helios/data/blackbody_linear_srgb.csv
"""

from __future__ import annotations

import sys

import numpy as np

from helios.colour import TABLE_STEP_K, TEFF_MAX_K, blackbody_linear_srgb_exact


def main() -> None:
    output = sys.argv[1]
    temps = np.arange(1000.0, TEFF_MAX_K + TABLE_STEP_K / 2, TABLE_STEP_K)
    rgb = blackbody_linear_srgb_exact(temps)
    with open(output, "w", encoding="utf-8") as handle:
        handle.write("teff_k,red,green,blue\n")
        for t, (r, g, b) in zip(temps, rgb):
            handle.write(f"{t:.0f},{r:.7f},{g:.7f},{b:.7f}\n")
    print(f"{len(temps)} temperatures written to {output}")


if __name__ == "__main__":
    main()
