"""The static file server of ``helios view``: Starlette's ``StaticFiles`` under uvicorn, with byte ranges.

The web client fetches a pack's header, its directory and then single blocks by ``Range: bytes=a-b``, as it
would from any static host or CDN.  Starlette answers a range with ``206`` and ``Content-Range``, several ranges
with ``multipart/byteranges``, an unsatisfiable one with ``416``, honours ``If-Range`` and streams files in
64 KiB chunks.  ``StaticFiles(follow_symlink=False)`` resolves every path, symlinks included, and serves only
regular files that resolve inside the root; no directory is listed (``html=True``: a directory holding an
``index.html`` answers with it, as any static host does, so ``/`` is the planetarium page).  uvicorn (h11)
runs one event loop in one thread (file reads use anyio's pool of at most 40 threads) and answers a request
it cannot parse with a status.

What is added here, each small:

* :class:`_Files`: a path the operating system refuses (a NUL byte, a name too long, a symlink loop, a
  directory it may not search) is ``404``, not an error.
* :class:`_Guard`: HTTP versions other than 1.0 and 1.1 get ``505``; a ``Range`` on a method other than GET, or in
  a unit other than bytes, is ignored (RFC 9110 section 14.2: HEAD + Range is the whole representation, ``200``);
  ``Cache-Control: no-store`` (with ``no-cache`` Chromium revalidates the ranges it keeps, gets ``304`` and hands
  the page empty blocks: the tour of tests/browser/test_client.py fails); one INFO line per request on logger
  ``helios.serve``, ``METHOD PATH [RANGE] -> STATUS``, which tests read to see what a client fetched.
* :class:`_Protocol`: uvicorn times out a connection only while it is kept alive after a response; here a
  connection has ``timeout`` seconds from its start, or from its last response, to send a whole request head,
  however slowly it trickles (then ``408`` and close; an idle one is just closed).  A head over 16 KiB gets the
  status h11 suggests (``431``; ``414`` when the request line alone is that long) instead of ``400``.
* At most :data:`MAX_CONNECTIONS` connections are served at once (more get ``503``).
"""

from __future__ import annotations

import asyncio
import http
import logging
import re
import socket
import threading
import time
from pathlib import Path

import h11
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from uvicorn.protocols.http.h11_impl import H11Protocol

from helios.errors import HeliosError

log = logging.getLogger(__name__)
#: Seconds a connection has to send a whole request head (from its start or its last response), and to stay idle.
DEFAULT_TIMEOUT = 10.0
MAX_CONNECTIONS = 100
MAX_REQUEST_HEAD = 16 * 1024  # bytes of request line + headers (h11's default); browsers send about 1 KiB
HEAD_END = re.compile(rb"\n\r?\n")  # the blank line after the headers, as h11 finds it


class _Files(StaticFiles):
    """``StaticFiles`` where a path the operating system refuses is simply not found (404)."""

    def lookup_path(self, path: str):  # type: ignore[no-untyped-def]
        try:
            return super().lookup_path(path)
        except (OSError, ValueError):  # ENAMETOOLONG, ELOOP, EACCES, a NUL byte: nothing here to serve
            return "", None


class _Guard:
    """ASGI middleware: 505 for other HTTP versions, Range only on GET in bytes, no-store, one log line per request."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope["headers"]
        wanted = next((value.decode("latin-1") for name, value in headers if name == b"range"), None)
        target = scope["raw_path"].decode("latin-1") + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")

        async def answer(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                log.info("%s %s%s -> %s", scope["method"], target, f" [{wanted}]" if wanted else "", message["status"])
                message = {**message, "headers": [*message["headers"], (b"cache-control", b"no-store")]}
            await send(message)

        if scope["http_version"] not in ("1.0", "1.1"):
            await answer({"type": "http.response.start", "status": 505, "headers": [(b"content-length", b"0"), (b"connection", b"close")]})
            return await answer({"type": "http.response.body", "body": b""})
        if wanted is not None and (scope["method"] != "GET" or wanted.partition("=")[0].strip().lower() != "bytes"):
            scope = {**scope, "headers": [(name, value) for name, value in headers if name != b"range"]}
        await self.app(scope, receive, answer)


class _Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and 431/414 for a head too large."""

    _deadline: asyncio.TimerHandle | None = None

    def _waiting(self) -> bool:
        """No request is being answered: the connection waits for the client."""
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.timeout_keep_alive, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def connection_made(self, transport) -> None:  # type: ignore[no-untyped-def, override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and (status := _head_too_long(self.conn.trailing_data[0] + data)):
            return self._reject(status)  # h11 bounds only a head still incomplete after a read, not one read whole
        super().data_received(data)  # the deadline stays as it is while a request head trickles in
        if not self._waiting():
            self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._waiting() and not self.transport.is_closing():
            self._arm()  # a fresh deadline for the next request (or for the rest of a body not read)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _expired(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or not self._waiting():
            return
        if self.conn.trailing_data[0] or self.conn.their_state is h11.SEND_BODY:  # part of a request came
            log.info("(incomplete request) -> 408")
            self.transport.write(b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """What uvicorn sends for a request h11 cannot parse: 400, or 431/414 for a head over the limit."""
        self._reject(_head_too_long(self.conn.trailing_data[0]) or 400)

    def _reject(self, status: int) -> None:
        self._disarm()
        log.info("(malformed request %r) -> %d", self.conn.trailing_data[0][:40], status)
        phrase = http.HTTPStatus(status).phrase
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        for event in (h11.Response(status_code=status, headers=headers, reason=phrase), h11.Data(data=phrase.encode()), h11.EndOfMessage()):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def _head_too_long(buffered: bytes) -> int | None:
    """431 (414 when the request line alone is too long) where no request head ends within the first MAX_REQUEST_HEAD bytes."""
    if len(buffered) <= MAX_REQUEST_HEAD:
        return None
    end = HEAD_END.search(buffered, 0, MAX_REQUEST_HEAD + 4)
    if end is not None and end.end() <= MAX_REQUEST_HEAD:
        return None
    return 414 if b"\n" not in buffered[:MAX_REQUEST_HEAD] else 431


class Server:
    """A directory served on ``host:port`` (port 0: a free one; see :attr:`server_address`).

    The socket is bound and listening on construction; :meth:`serve_forever` serves until :meth:`shutdown`
    (from another thread) or Ctrl-C; the names are those of ``http.server``'s servers.
    """

    def __init__(self, root: Path, host: str, port: int, timeout: float) -> None:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
        family, kind, proto, _, address = min(found, key=lambda info: info[0] != socket.AF_INET)  # IPv4 first, as before
        self.socket = socket.socket(family, kind, proto)  # proto IPPROTO_TCP: asyncio then sets TCP_NODELAY on each connection
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.socket.bind(address)
            self.socket.listen(128)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        files = Starlette(routes=[Mount("/", app=_Files(directory=root, html=True, follow_symlink=False))])
        files.router.redirect_slashes = False  # a target such as "?" is not found, not redirected to the Host header's URL
        app = _Guard(files)
        config = uvicorn.Config(app, interface="asgi3", http=_Protocol, loop="asyncio", lifespan="off", ws="none",
                                log_config=None, log_level="warning", access_log=False, proxy_headers=False, server_header=False,
                                timeout_keep_alive=timeout, limit_concurrency=MAX_CONNECTIONS,  # type: ignore[arg-type]
                                h11_max_incomplete_event_size=MAX_REQUEST_HEAD, timeout_graceful_shutdown=2)
        self._uvicorn = uvicorn.Server(config)
        self._serving = threading.Event()
        self._stopped = threading.Event()

    def serve_forever(self) -> None:
        self._serving.set()
        try:
            self._uvicorn.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def wait_started(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if self._stopped.is_set() or time.monotonic() > deadline:
                raise HeliosError(f"the server on {self.server_address[0]}:{self.server_address[1]} did not start")
            time.sleep(0.005)

    def shutdown(self) -> None:
        """Stop :meth:`serve_forever` (open connections get up to 2 s to finish) and wait until it has returned."""
        self._uvicorn.should_exit = True
        if self._serving.is_set():
            self._stopped.wait()

    def server_close(self) -> None:
        self.socket.close()


def make_server(directory: str | Path, host: str = "127.0.0.1", port: int = 0, *, timeout: float = DEFAULT_TIMEOUT) -> Server:
    """A :class:`Server` for ``directory`` on ``host:port``; ``timeout``: seconds to send a request head or stay idle."""
    root = Path(directory)
    if not root.is_dir():
        raise HeliosError(f"{directory}: not a directory to serve")
    return Server(root.resolve(), host, port, timeout)


def serve_in_background(directory: str | Path, host: str = "127.0.0.1", port: int = 0, *,
                        timeout: float = DEFAULT_TIMEOUT) -> tuple[Server, str]:
    """Start :func:`make_server` in a daemon thread; ``(server, base URL)`` (call ``server.shutdown()`` to stop)."""
    server = make_server(directory, host, port, timeout=timeout)
    threading.Thread(target=server.serve_forever, name=f"helios.serve:{server.server_address[1]}", daemon=True).start()
    server.wait_started()
    address, bound = server.server_address[:2]
    return server, f"http://{address}:{bound}/"
