"""Moving stars to another epoch: ``helios.motion.propagate`` (ERFA pmsafe, over every CPU core) and
``space_velocity`` (ERFA starpv) for N stars, and for comparison one pmsafe call on one core.

    python benchmarks/bench_motion.py [--stars 10000000] [--repeat 3] [--json FILE]
    python benchmarks/bench_motion.py --catalogue hipparcos2.csv.gz   # a real sky, its stars repeated to --stars

The stars are random (uniform on the sky, distances 1-5,000 pc, proper motions of 10 mas/yr, radial
velocities of 30 km/s, seeded) or, with ``--catalogue``, a Gaia-Archive-layout CSV's stars with good
parallaxes, tiled to N.  Epoch J2016.0 to 12016.0.  Prints the median of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings

import erfa
import numpy as np

from helios import motion


def random_stars(n: int, seed: int = 0) -> motion.Astrometry:
    rng = np.random.default_rng(seed)
    return motion.Astrometry(rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n))), rng.uniform(1, 5000, n),
                             rng.normal(0, 10, n), rng.normal(0, 10, n), rng.normal(0, 30, n), 2016.0)


def catalogue_stars(path: str, n: int) -> motion.Astrometry:
    import pandas as pd

    rows = pd.read_csv(path)
    rows = rows[(rows.parallax > 0) & (rows.parallax >= 5 * rows.parallax_error)]
    take = np.resize(np.arange(len(rows)), n)
    column = lambda name: rows[name].to_numpy(np.float64)[take]  # noqa: E731
    rv = column("radial_velocity") if "radial_velocity" in rows else np.zeros(n)
    return motion.Astrometry(column("ra"), column("dec"), 1000.0 / column("parallax"), column("pmra"), column("pmdec"),
                             np.nan_to_num(rv), 2016.0)


def timed(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stars", type=int, default=10_000_000)
    parser.add_argument("--catalogue")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json")
    args = parser.parse_args()
    stars = catalogue_stars(args.catalogue, args.stars) if args.catalogue else random_stars(args.stars)
    ra, dec, pmr, pmd, px, rv = motion._erfa_inputs(stars)
    a, b = erfa.epj2jd(2016.0)
    c, d = erfa.epj2jd(12016.0)

    def one_call() -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", erfa.ErfaWarning)
            erfa.pmsafe(ra, dec, pmr, pmd, px, rv, a, b, c, d)

    rows = {
        "propagate (all cores)": timed(lambda: motion.propagate(stars, 12016.0), args.repeat),
        "space_velocity (all cores)": timed(lambda: motion.space_velocity(stars), args.repeat),
        "one erfa.pmsafe call (one core, inputs ready)": timed(one_call, args.repeat),
    }
    for name, times in rows.items():
        print(f"{args.stars:,} stars  {name:48s} median {statistics.median(times):6.2f} s  (runs {', '.join(f'{t:.2f}' for t in times)})")
    if args.json:
        machine = {"cpu_count": os.cpu_count(), "cores_used": len(os.sched_getaffinity(0)), "platform": platform.platform(),
                   "pyerfa": erfa.__version__}
        with open(args.json, "w") as handle:
            json.dump({"machine": machine, "stars": args.stars, "catalogue": os.path.basename(args.catalogue or "") or "random",
                       "seconds": rows}, handle, indent=1)


if __name__ == "__main__":
    main()
