"""The web client in headless Chromium: time and bytes to the first frame, frame times during a tour.

    helios build --stars hipparcos2_full.csv.gz --parallax-zero-point 0 --ref-epoch 1991.25 --output hip2/
    python benchmarks/bench_client.py --universe hip2/ --size 1280 720 --repeats 3 --json client.json

A site is made from the universe (``helios site``) and served by ``helios.serve``. First frame: a fresh
browser page (no cache) opens the view from the Sun; the time is from the start of navigation to the
moment ``window.helios.ready`` resolves (every cell in view fetched, decoded and drawn), the bytes those
of every response (page, scripts, JSON, pack ranges). Tour: warps of ``--warp-seconds`` to each of the
landmarks named, every frame drawn; frame time is the interval between animation frames that drew.
Chromium draws WebGL2 with SwiftShader here, so these are CPU figures (say so when you quote them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helios.serve import serve_in_background  # noqa: E402
from helios.site import make_site  # noqa: E402
from tests.browser.harness import CHROMIUM_ARGS, chromium_path  # noqa: E402

TOUR = ["Sirius", "M 45 (Pleiades)", "Betelgeuse", "M 42 (Orion Nebula)", "Polaris", "C 41 (Hyades)", "Vega",
        "Deneb (", "M 13 (Hercules Cluster)", "Jupiter", "Rigil Kentaurus", "M 31 (Andromeda Galaxy)", "Sun"]


def first_frame(browser, url: str, width: int, height: int, query: str) -> dict:
    page = browser.new_page(viewport={"width": width, "height": height})
    sizes: list[int] = []
    page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]))
    started = time.perf_counter()
    page.goto(url + "index.html" + query)
    page.evaluate("window.helios.ready")
    seconds = time.perf_counter() - started
    page_ms = page.evaluate("performance.now()")
    stats = page.evaluate("window.helios.stats()")
    page.close()
    return {"seconds": seconds, "page_ms_at_ready": page_ms, "bytes_total": sum(sizes), "requests": len(sizes),
            "pack_bytes": stats["bytesFetched"], "cells_in_view": len(stats["cellsInView"]), "gl_renderer": stats["glRenderer"],
            "light_precision": stats["lightPrecision"]}


def tour(browser, url: str, width: int, height: int, names: list[str], warp_seconds: float) -> dict:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url + "index.html?from=sun&lookat=Sirius")
    page.evaluate("window.helios.ready")
    result = page.evaluate("""async ([names, seconds]) => {
        const start = performance.now();
        for (const name of names) await window.helios.warp(name, seconds);
        const stats = window.helios.stats();
        return {stats, elapsed: performance.now() - start, start};
    }""", [names, warp_seconds])
    page.close()
    frames = [f for f in result["stats"]["frameTimes"] if f["at"] >= result["start"] and f["interval"] is not None]
    intervals = sorted(f["interval"] for f in frames)
    draw = sorted(f["ms"] for f in frames)
    pick = lambda values, q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return {"landmarks": len(names), "frames": len(frames), "elapsed_s": result["elapsed"] / 1000,
            "frame_interval_ms_median": statistics.median(intervals), "frame_interval_ms_p95": pick(intervals, 0.95),
            "draw_call_ms_median": statistics.median(draw), "fps_median": 1000 / statistics.median(intervals),
            "peak_cache_bytes": result["stats"]["peakCacheBytes"], "pack_bytes": result["stats"]["bytesFetched"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--universe", required=True, help="a workflow output or `helios build` output")
    parser.add_argument("--size", nargs=2, type=int, default=[1280, 720])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warp-seconds", type=float, default=2.0)
    parser.add_argument("--view", action="append", help="a first view's URL query, repeatable (default: ?from=sun&lookat=M 42&fov=60)")
    parser.add_argument("--no-tour", action="store_true", help="first frames only")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    width, height = args.size
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        make_site(args.universe, site)
        server, url = serve_in_background(site)
        views = args.view or ["?from=sun&lookat=M 42&fov=60"]
        results: dict = {"universe": str(args.universe), "size": [width, height], "views": views, "first_frame": {}}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            for view in views:
                firsts = [first_frame(browser, url, width, height, view) for _ in range(args.repeats)]
                results["first_frame"][view] = {"runs": firsts, "median_s": statistics.median(f["seconds"] for f in firsts),
                                                "pack_bytes": firsts[-1]["pack_bytes"], "bytes_total": firsts[-1]["bytes_total"]}
            if not args.no_tour:
                results["tour"] = tour(browser, url, width, height, TOUR, args.warp_seconds)
            browser.close()
        server.shutdown()
    print(json.dumps(results, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
