"""``helios view``'s server against the hand-written one it replaced, with the web client's request pattern.

    python benchmarks/bench_serve.py [--stars 20000] [--repeats 15] [--json serve.json]

A pack is built (``helios build --synthetic N`` then ``helios pack``) and served twice, each server in its own
process as a browser would meet it: today's ``helios.serve`` and the one of ``--old-ref`` (its source is read
with ``git show REF:helios/serve.py`` and run from memory).  One sequence is what ``client/src/pack.js`` does to
open a pack and draw every cell: the header (bytes 0-127), the directory (the range the header names), then each
block by its range, every answer checked (status 206, its length; SHA-256 of every block on the first pass).
It runs over one keep-alive connection (``serial``) and over six connections at once, blocks dealt round-robin,
as a browser fetches them (``parallel``).  The two servers take turns, the first alternating each repeat; the
median seconds per sequence and the ratio new / old are printed.  The old server writes a response's headers and
body in two sends without ``TCP_NODELAY``, so on a kept-alive connection each answer waits for the client's
delayed ACK (about 40 ms on Linux); ``old-nodelay`` is the same source with ``disable_nagle_algorithm = True``,
to tell that stall from the servers' own cost.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
OLD_REF = "3adb734f7efbcafcc00533f3f2cb90e8b843c215"  # the last commit of the http.server-based helios/serve.py
HEADER = struct.Struct("<8sIIIIQQQ32s")  # docs/pack-format.md: magic, version, header size, cells, 0, directory offset, length, file length
CONNECTIONS = 6  # what a browser opens to one host
SERVERS = ("old", "old-nodelay", "new")


def serve(which: str, ref: str, directory: str) -> None:
    """The child process: serve ``directory`` with the server named (new, old, old-nodelay), print its URL, serve until killed."""
    if which == "new":
        from helios.serve import serve_in_background
    else:
        module = types.ModuleType("helios_serve_old")
        source = subprocess.run(["git", "show", f"{ref}:helios/serve.py"], cwd=REPO, check=True, capture_output=True, text=True).stdout
        exec(compile(source, f"{ref[:12]}:helios/serve.py", "exec"), module.__dict__)
        serve_in_background = module.serve_in_background
        module.RangeRequestHandler.disable_nagle_algorithm = which == "old-nodelay"
    _, url = serve_in_background(directory)
    print(url, flush=True)
    threading.Event().wait()


def get(connection: http.client.HTTPConnection, first: int, last: int) -> bytes:
    connection.request("GET", "/cells.pack.bin", headers={"Range": f"bytes={first}-{last}"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 206 or len(body) != last - first + 1:
        raise RuntimeError(f"bytes {first}-{last}: {response.status}, {len(body)} bytes")
    return body


def sequence(address: tuple[str, int], connections: int, check: bool) -> float:
    """Seconds to open the pack and fetch every block, over ``connections`` keep-alive connections."""
    pool = [http.client.HTTPConnection(*address, timeout=30) for _ in range(connections)]
    started = time.perf_counter()
    head = get(pool[0], 0, 127)
    _, _, _, _, _, offset, length, _, digest = HEADER.unpack_from(head)
    raw = get(pool[0], offset, offset + length - 1)
    blocks = [block for cell in json.loads(raw)["cells"] for block in cell["blocks"] if block["length"]]
    if check and hashlib.sha256(raw).digest() != digest:
        raise RuntimeError("the directory fails its SHA-256")

    def fetch(index: int) -> None:
        for block in blocks[index::connections]:
            body = get(pool[index], block["offset"], block["offset"] + block["length"] - 1)
            if check and hashlib.sha256(body).hexdigest() != block["sha256"]:
                raise RuntimeError(f"the block at {block['offset']} fails its SHA-256")

    if connections == 1:
        fetch(0)
    else:
        threads = [threading.Thread(target=fetch, args=(index,)) for index in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    seconds = time.perf_counter() - started
    for connection in pool:
        connection.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stars", type=int, default=20000, help="stars of the synthetic sky packed")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--old-ref", default=OLD_REF, help="the git commit whose helios/serve.py is the old server")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--serve", nargs=2, metavar=("WHICH", "DIR"), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve[0], args.old_ref, args.serve[1])
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        site.mkdir()
        for command in (["build", "--synthetic", str(args.stars), "--output", f"{scratch}/universe"],
                        ["pack", f"{scratch}/universe", "--output", f"{scratch}/pack"]):
            subprocess.run([sys.executable, "-m", "helios.cli", *command], check=True, capture_output=True)
        pack = site / "cells.pack.bin"  # the sky is one shard: its pack file
        shutil.copyfile(Path(scratch) / "pack" / "shard-0000.pack.bin", pack)
        requests = 2 + sum(1 for cell in json.loads(_directory(pack))["cells"] for block in cell["blocks"] if block["length"])
        pack_bytes = pack.stat().st_size
        children = {which: subprocess.Popen([sys.executable, __file__, "--serve", which, str(site), "--old-ref", args.old_ref],
                                            stdout=subprocess.PIPE, text=True) for which in SERVERS}
        try:
            addresses = {which: (urlsplit(url).hostname, urlsplit(url).port)
                         for which, child in children.items() if (url := child.stdout.readline().strip())}
            times: dict[str, dict[str, list[float]]] = {which: {"serial": [], "parallel": []} for which in children}
            for repeat in range(args.repeats + 1):  # the first: a warm-up with every byte checked, not counted
                for which in (SERVERS if repeat % 2 else SERVERS[::-1]):
                    for mode, connections in (("serial", 1), ("parallel", CONNECTIONS)):
                        seconds = sequence(addresses[which], connections, check=repeat == 0)
                        if repeat:
                            times[which][mode].append(seconds)
        finally:
            for child in children.values():
                child.kill()
                child.wait()
    result = {"stars": args.stars, "requests_per_sequence": requests, "pack_bytes": pack_bytes,
              "old_ref": args.old_ref, "python": platform.python_version(), "repeats": args.repeats, "seconds": times}
    print(f"{requests} requests per sequence (header, directory, every block) of a {pack_bytes:,}-byte pack, {args.repeats} repeats, medians:")
    for mode in ("serial", "parallel"):
        medians = {which: statistics.median(times[which][mode]) for which in SERVERS}
        result[f"{mode}_median_s"] = {**medians, "ratio_new_over_old": medians["new"] / medians["old"],
                                      "ratio_new_over_old_nodelay": medians["new"] / medians["old-nodelay"]}
        print(f"  {mode:8s} " + "   ".join(f"{which} {seconds * 1e3:7.1f} ms" for which, seconds in medians.items())
              + f"   new/old {medians['new'] / medians['old']:.3f}   new/old-nodelay {medians['new'] / medians['old-nodelay']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


def _directory(pack: Path) -> bytes:
    with open(pack, "rb") as handle:
        _, _, _, _, _, offset, length, _, _ = HEADER.unpack_from(handle.read(HEADER.size))
        handle.seek(offset)
        return handle.read(length)


if __name__ == "__main__":
    main()
