"""MPCORB's scale: 1.3 million minor planets read, written for the pack, and drawn by the client in headless Chromium.

    python benchmarks/bench_minor_planets.py --count 1300000 --json minor.json --screenshot belt.png

Writes a synthetic MPCORB file of ``--count`` orbits (``helios synthetic-mpcorb``: not real minor planets), reads
it (``helios.mpcorb.read_mpcorb``) and writes ``minor_planets.bin`` (each step's wall time and the process's peak
RSS after it), then makes a site of a 50-star synthetic sky with them and opens it in Chromium from 10 au above the
ecliptic (``solar=1``, limiting magnitude 24, no glare): the time from opening the page until every chunk is fetched and
drawn, then
``--frames`` frames drawn with the minor planets shown and as many with the solar system hidden, in turns (median
frame times, side by side).  Chromium draws WebGL2 with SwiftShader here: these are CPU figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helios.build import build  # noqa: E402
from helios.minor_planets import write_minor_planets  # noqa: E402
from helios.mpcorb import read_mpcorb  # noqa: E402
from helios.serve import serve_in_background  # noqa: E402
from helios.site import make_site  # noqa: E402
from helios.synthetic_belt import write_synthetic_mpcorb  # noqa: E402
from tests.browser.harness import CHROMIUM_ARGS, chromium_path  # noqa: E402

AU_PC = 4.84813681109536e-6
POLE = (0.0, -0.39777716, 0.91748206)  # the ecliptic's north pole, ICRS


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(step: dict, name: str, work):
    started = time.perf_counter()
    value = work()
    step[name] = {"seconds": round(time.perf_counter() - started, 2), "peak_rss_mb": round(peak_rss_mb())}
    print(f"{name}: {step[name]}", flush=True)
    return value


def draw(url: str, width: int, height: int, frames: int, screenshot: str | None) -> dict:
    from playwright.sync_api import sync_playwright

    eye = ",".join(repr(10 * AU_PC * x) for x in POLE)
    query = f"?from={eye}&lookat=sun&fov=100&up=0,1,0&hud=0&mag=24&glare=0&epoch=2026&solar=1"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        started = time.perf_counter()
        page.goto(url + "index.html" + query)
        page.evaluate("window.helios.ready")
        loaded = page.evaluate("window.helios.minorPlanets()")
        load_seconds = time.perf_counter() - started  # from opening the page to every chunk fetched, checked and drawn
        if screenshot:
            page.screenshot(path=screenshot)
        shown, hidden = [], []
        for _ in range(frames):
            page.evaluate("window.helios.app.showSolar = true")
            shown.append(page.evaluate("window.helios.frame()"))
            page.evaluate("window.helios.app.showSolar = false")
            hidden.append(page.evaluate("window.helios.frame()"))
        renderer = page.evaluate("window.helios.stats().glRenderer")
        browser.close()
    return {"orbits_drawn": loaded["count"], "bytes_fetched": loaded["bytesFetched"], "load_seconds": round(load_seconds, 2),
            "frame_ms_shown_median": round(statistics.median(shown), 1), "frame_ms_hidden_median": round(statistics.median(hidden), 1),
            "frames": frames, "size": [width, height], "gl_renderer": renderer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1_300_000)
    parser.add_argument("--size", nargs=2, type=int, default=[1280, 720])
    parser.add_argument("--frames", type=int, default=9)
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--screenshot", help="save the first view here (PNG)")
    args = parser.parse_args()
    result: dict = {"count": args.count, "date": time.strftime("%Y-%m-%d")}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        mpcorb = timed(result, "write_synthetic_mpcorb", lambda: write_synthetic_mpcorb(work / "MPCORB.DAT.gz", args.count, seed=0))
        result["mpcorb_bytes"] = mpcorb.stat().st_size
        orbits, names, summary = timed(result, "read_mpcorb", lambda: read_mpcorb(mpcorb))
        universe = work / "universe"
        build([{"kind": "synthetic", "stars": 50, "seed": 1}], universe)
        timed(result, "write_minor_planets",
              lambda: write_minor_planets(universe / "minor_planets.bin", orbits, names, summary.as_dict(), synthetic=True))
        result["minor_planets_bytes"] = (universe / "minor_planets.bin").stat().st_size
        orbits = names = None  # the browser needs the memory, not these
        make_site(universe, work / "site")
        server, url = serve_in_background(work / "site")
        try:
            result["client"] = draw(url, *args.size, args.frames, args.screenshot)
        finally:
            server.shutdown()
            server.server_close()
    print(json.dumps(result, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
