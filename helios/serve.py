"""A static file server with HTTP Range requests, for the web client (``helios view``).

Python's ``http.server`` answers every request with the whole file; the
client fetches the pack's directory and then single cells by byte range, as
it would from any static host or CDN.  This server answers ``Range:
bytes=a-b``, ``bytes=a-`` and ``bytes=-n`` (one range; RFC 9110 section 14)
with ``206 Partial Content`` and ``Content-Range``, an unsatisfiable range
with ``416`` and ``Content-Range: bytes */size``, and several ranges with the
whole file (a server may ignore a Range header).  Every request is logged
(method, path, range, status, bytes), so that tests can see what a client
fetched.  Files are served from one directory; nothing outside it is
reachable.
"""

from __future__ import annotations

import http.server
import logging
import os
import re
import threading
from functools import partial
from pathlib import Path

log = logging.getLogger(__name__)
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | str:
    """``(first, last)`` inclusive for a single-range ``Range`` header; None: serve the whole file; "unsatisfiable"."""
    if not header:
        return None
    header = header.strip()
    if "," in header:
        return None  # several ranges: the whole file instead
    match = RANGE.match(header)
    if match is None:
        return None  # not a byte range we understand: ignored, as the RFC allows
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # the last n bytes
        length = int(last_text)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or last < first:
        return "unsatisfiable"
    return first, min(last, size - 1)


class RangeRequestHandler(http.server.SimpleHTTPRequestHandler):
    """``SimpleHTTPRequestHandler`` with single byte ranges and one log line per request."""

    protocol_version = "HTTP/1.1"

    def send_head(self):  # type: ignore[override]
        path = Path(self.translate_path(self.path))
        if path.is_dir() or not path.is_file():
            self._range = None
            return super().send_head()
        size = path.stat().st_size
        wanted = parse_range(self.headers.get("Range"), size)
        if wanted == "unsatisfiable":
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            self._range = None
            return None
        handle = open(path, "rb")
        first, last = wanted if wanted is not None else (0, size - 1)
        self.send_response(206 if wanted is not None else 200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(max(0, last - first + 1)))
        if wanted is not None:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        handle.seek(first)
        self._range = (first, last)
        return handle

    def copyfile(self, source, outputfile) -> None:  # type: ignore[override]
        if self._range is None:
            return super().copyfile(source, outputfile)
        remaining = self._range[1] - self._range[0] + 1
        while remaining > 0:
            chunk = source.read(min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            remaining -= len(chunk)

    def log_request(self, code="-", size="-") -> None:  # type: ignore[override]
        range_header = self.headers.get("Range") if hasattr(self, "headers") else None
        log.info("%s %s%s -> %s", self.command, self.path, f" [{range_header}]" if range_header else "", code)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        log.debug(format, *args)


def make_server(directory: str | Path, host: str = "127.0.0.1", port: int = 0) -> http.server.ThreadingHTTPServer:
    """A threaded server for ``directory`` on ``host:port`` (port 0: a free one; see ``server.server_address``)."""
    root = Path(directory)
    if not root.is_dir():
        from helios.errors import HeliosError

        raise HeliosError(f"{directory}: not a directory to serve")
    handler = partial(RangeRequestHandler, directory=os.fspath(root.resolve()))
    return http.server.ThreadingHTTPServer((host, port), handler)


def serve_in_background(directory: str | Path, host: str = "127.0.0.1", port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start :func:`make_server` in a daemon thread; ``(server, base URL)`` (call ``server.shutdown()`` to stop)."""
    server = make_server(directory, host, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address, bound = server.server_address[:2]
    return server, f"http://{address}:{bound}/"
