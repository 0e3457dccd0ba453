"""Plot an MPCORB file's belt: the semimajor axes (the Kirkwood gaps at Jupiter's resonances) and the places seen from
above the ecliptic at the file's epoch (the Trojans 60 degrees ahead of and behind Jupiter, the Hildas' triangle).

Usage: python tools/plot_belt.py MPCORB.DAT[.gz] OUTPUT.png
(docs/images/kirkwood_gaps.png: `helios synthetic-mpcorb --count 1300000 --output belt.dat.gz` first)
"""

from __future__ import annotations

import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helios import minor_planets, solar  # noqa: E402
from helios.mpcorb import read_mpcorb  # noqa: E402
from helios.synthetic_belt import KIRKWOOD, resonance_a  # noqa: E402


def main() -> None:
    source, output = sys.argv[1], sys.argv[2]
    orbits, _, summary = read_mpcorb(source)
    epoch = float(minor_planets.common_epoch(orbits))
    places = minor_planets.heliocentric_au(orbits, epoch)
    c, s = np.cos(minor_planets.OBLIQUITY_J2000), np.sin(minor_planets.OBLIQUITY_J2000)
    x, y = places[:, 0], c * places[:, 1] + s * places[:, 2]  # the J2000 ecliptic plane
    jupiter = solar.heliocentric_au(2000.0 + (epoch - 2451545.0) / 365.25)["jupiter"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.6), gridspec_kw={"width_ratios": [1.2, 1]})
    left.hist(orbits["a_au"], bins=np.arange(1.7, 4.2, 0.005), color="0.25")
    for (p, q) in KIRKWOOD:
        left.axvline(resonance_a(p, q), color="tab:red", lw=0.8, alpha=0.7)
        left.text(resonance_a(p, q), left.get_ylim()[1] * 0.95, f"{p}:{q}", color="tab:red", ha="center", va="top", fontsize=9)
    left.set(xlabel="semimajor axis (au)", ylabel="orbits per 0.005 au", title="The Kirkwood gaps: Jupiter's resonances")
    counts, edges, _ = np.histogram2d(x, y, bins=480, range=[[-6.2, 6.2], [-6.2, 6.2]])
    right.imshow(np.log1p(counts.T), origin="lower", extent=[-6.2, 6.2, -6.2, 6.2], cmap="gray")
    right.scatter([0], [0], s=30, c="gold")
    right.scatter([jupiter[0]], [c * jupiter[1] + s * jupiter[2]], s=30, c="orange")
    right.set(xlabel="au", title="From above the ecliptic (log density): Trojans, Hildas")
    name = summary.path.rsplit("/", 1)[-1]
    figure.suptitle(f"{name}: {len(orbits):,} orbits{' (synthetic)' if summary.synthetic else ''}, epoch JD {epoch}")
    figure.tight_layout()
    figure.savefig(output, dpi=110)


if __name__ == "__main__":
    main()
