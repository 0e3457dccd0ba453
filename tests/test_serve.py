"""``helios view``'s server, through real HTTP clients over sockets: byte ranges, the root, malformed requests, timeouts.

Raw sockets send what no HTTP library would (a NUL byte, a 5,000-digit range, half a request); every request must
be answered with a status line, and a half-sent one with ``408`` once the request timeout has passed.
"""

import http.client
import logging
import random
import re
import selectors
import socket
import threading
import time
import tracemalloc
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from helios.errors import HeliosError
from helios.serve import make_server, serve_in_background

DATA = bytes(range(256)) * 40  # 10,240 bytes
SECRET = b"outside the served directory"
TIMEOUT = 1.0  # the fixture's server: idle connections and half-sent requests are closed after this many seconds
STATUS = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    (root / "cells.pack.bin").write_bytes(DATA)
    (root / "index.html").write_text("<html>sky</html>")
    (root / "sub" / "a.txt").write_text("a")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_bytes(SECRET)
    (root / "link-out").symlink_to(tmp_path / "secret.txt")  # ln -s /etc/passwd SITE/p
    (root / "dir-out").symlink_to(tmp_path / "outside", target_is_directory=True)
    (root / "link-in").symlink_to(root / "cells.pack.bin")  # a link that stays inside the root
    return root


@pytest.fixture
def served(site):
    server, url = serve_in_background(site, timeout=TIMEOUT)
    yield url
    server.shutdown()
    server.server_close()


def fetch(url, range_header=None, method="GET", headers=None):
    headers = {**({"Range": range_header} if range_header else {}), **(headers or {})}
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()  # headers: case-insensitive
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def address(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port


def answer(url, data: bytes, wait: float = 5.0) -> bytes:
    """What the server sends back for ``data`` on a fresh connection: up to the end of the first response, or the close."""
    with socket.create_connection(address(url), timeout=wait) as connection:
        try:
            connection.sendall(data)
        except OSError:  # the server answered and closed before reading it all
            pass
        return read_reply(connection, time.monotonic() + wait)


def read_reply(connection: socket.socket, deadline: float) -> bytes:
    reply = b""
    while time.monotonic() < deadline:
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = connection.recv(65536)
        except TimeoutError:
            break
        except OSError:  # reset: what arrived before it is the answer
            break
        if not chunk:
            break
        reply += chunk
        if complete(reply):
            break
    return reply


def complete(reply: bytes) -> bool:
    head, found, body = reply.partition(b"\r\n\r\n")
    if not found:
        return False
    length = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
    return len(body) >= (int(length.group(1)) if length else 0)


def status_of(reply: bytes) -> int | None:
    match = STATUS.match(reply)
    return int(match.group(1)) if match else None


def request(path: str = "/cells.pack.bin", *headers: str, method: str = "GET", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{method} {path} {version}", "Host: localhost", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# ---------------------------------------------------------------------------------------------- byte ranges


def test_byte_ranges(served):
    url = served + "cells.pack.bin"
    status, headers, body = fetch(url)
    assert status == 200 and body == DATA and headers["Accept-Ranges"] == "bytes" and headers["Cache-Control"] == "no-store"
    status, headers, body = fetch(url, "bytes=100-199")
    assert status == 206 and body == DATA[100:200] and headers["Content-Range"] == "bytes 100-199/10240"
    assert int(headers["Content-Length"]) == 100
    assert fetch(url, "bytes=10000-")[2] == DATA[10000:]
    assert fetch(url, "bytes=-16")[2] == DATA[-16:]
    assert fetch(url, "bytes=10200-99999")[2] == DATA[10200:]  # clipped to the end
    status, headers, body = fetch(url, "bytes=20000-20010")
    assert status == 416 and headers["Content-Range"] == "bytes */10240"
    assert fetch(url, "items=1-2")[0:3:2] == (200, DATA)  # a unit the server does not know: ignored (RFC 9110 14.2)


def test_several_ranges_are_one_multipart_answer(served):
    status, headers, body = fetch(served + "cells.pack.bin", "bytes=0-1,5-6")
    assert status == 206 and headers["Content-Type"].startswith("multipart/byteranges; boundary=")
    assert b"Content-Range: bytes 0-1/10240\r\n\r\n" + DATA[0:2] in body and b"bytes 5-6/10240\r\n\r\n" + DATA[5:7] in body


def test_head_with_a_range_is_the_whole_representation(served):
    """RFC 9110 14.2: GET is the only method with range handling; HEAD + Range gets 200 and the whole length."""
    status, headers, body = fetch(served + "cells.pack.bin", "bytes=5-9", method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == str(len(DATA)) and "Content-Range" not in headers


def test_if_range(served):
    """RFC 9110 13.1.5: the range only where If-Range matches the current validator; otherwise the whole file."""
    url = served + "cells.pack.bin"
    _, headers, _ = fetch(url, method="HEAD")
    for validator in [headers["Last-Modified"]] + ([headers["ETag"]] if "ETag" in headers else []):
        status, answered, body = fetch(url, "bytes=2-5", headers={"If-Range": validator})
        assert status == 206 and body == DATA[2:6] and answered["Content-Range"] == "bytes 2-5/10240"
    for stale in ['"not-the-etag"', "Thu, 01 Jan 1970 00:00:00 GMT"]:
        assert fetch(url, "bytes=2-5", headers={"If-Range": stale})[0:3:2] == (200, DATA)


def test_kept_alive_requests_do_not_wait_for_delayed_acks(served):
    """30 ranges on one kept-alive connection, as the client fetches blocks: each answer goes out at once (TCP_NODELAY),
    not after the client's delayed ACK of the headers sent before it (about 40 ms each on Linux)."""
    connection = http.client.HTTPConnection(*address(served), timeout=10)
    started = time.monotonic()
    for first in range(0, 3000, 100):
        connection.request("GET", "/cells.pack.bin", headers={"Range": f"bytes={first}-{first + 99}"})
        response = connection.getresponse()
        assert response.status == 206 and response.read() == DATA[first:first + 100]
    connection.close()
    assert time.monotonic() - started < 0.6


def test_a_big_file_is_streamed_not_read_whole(served, site):
    """The server holds a chunk of a file at a time, never the file (here 64 MiB, sparse)."""
    with open(site / "big.bin", "wb") as handle:
        handle.truncate(64 << 20)
    tracemalloc.start()
    try:
        with urllib.request.urlopen(served + "big.bin", timeout=30) as response:
            total = 0
            while chunk := response.read(1 << 16):
                total += len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert total == 64 << 20 and peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB while serving 64 MiB"


# ---------------------------------------------------------------------------------------------- the root


def test_nothing_outside_the_directory_and_missing_files(served):
    assert fetch(served + "../secret.txt")[0] == 404
    assert fetch(served + "%2e%2e/secret.txt")[0] == 404
    assert fetch(served + "nothing.bin", "bytes=0-1")[0] == 404
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/%2e%2e%2fsecret.txt", "//etc/passwd", "/sub/../../secret.txt"):
        reply = answer(served, request(path))
        assert status_of(reply) in (400, 404) and SECRET not in reply, (path, reply[:200])


def test_a_symlink_is_followed_only_inside_the_root(served):
    """A link is resolved and checked: one leading out of the root is 404; one that resolves inside it is served."""
    status, _, body = fetch(served + "link-out")
    assert status == 404 and SECRET not in body
    status, _, body = fetch(served + "dir-out/secret.txt")
    assert status == 404 and SECRET not in body
    assert fetch(served + "link-in", "bytes=0-3")[0:3:2] == (206, DATA[:4])


def test_no_directory_is_listed(served, tmp_path):
    assert fetch(served)[0:3:2] == (200, b"<html>sky</html>")  # a directory with an index.html: the page, as static hosts do
    for path in ("sub/", "sub"):
        status, _, body = fetch(served + path)
        assert status == 404 and b"a.txt" not in body, path
    results = tmp_path / "results"  # a results folder with no site: its files are not listed either
    (results / "trained").mkdir(parents=True)
    (results / "trained" / "cells.pack.bin").write_bytes(DATA)
    server, url = serve_in_background(results)
    try:
        status, _, body = fetch(url)
        assert status == 404 and b"trained" not in body
        assert fetch(url + "trained/cells.pack.bin", "bytes=0-1")[0:3:2] == (206, DATA[:2])
    finally:
        server.shutdown()
        server.server_close()


# ---------------------------------------------------------------------------------------------- malformed requests


@pytest.mark.parametrize(("name", "data", "statuses"), [
    ("NUL byte in the path", request("/index.html%00"), {400, 404}),
    ("a name over 255 characters", request("/" + "a" * 300), {404}),
    ("a path over PATH_MAX", request("/" + "/".join(["b" * 200] * 30)), {404, 414}),
    ("a 5,000-digit range start", request("/cells.pack.bin", "Range: bytes=" + "1" * 5000 + "-"), {400, 416}),
    ("a 5,000-digit range end", request("/cells.pack.bin", "Range: bytes=0-" + "9" * 5000), {206, 400, 416}),
    ("a request line that is not HTTP", b"hello\r\n\r\n", {400}),
    ("two words", b"GET /index.html\r\n\r\n", {400}),
    ("TLS on the HTTP port", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(32)) + b"\r\n\r\n", {400}),
    ("HTTP/3.0", request("/index.html", version="HTTP/3.0"), {400, 505}),
    ("HTTP/2.0", request("/index.html", version="HTTP/2.0"), {400, 505}),
    ("a very long URL", request("/" + "c" * 20000), {400, 414}),
    ("a huge header", request("/index.html", "X-Big: " + "d" * 20000), {431}),
    ("many headers", request("/index.html", *[f"X-{i}: {i}" for i in range(2000)]), {431}),
    ("a header without a colon", request("/index.html", "Broken header"), {400}),
    ("a bad Content-Length", request("/index.html", "Content-Length: -1"), {400}),
    ("an unknown method", request("/index.html", method="BREW"), {400, 405, 501}),
])
def test_a_malformed_request_gets_a_status(served, name, data, statuses):
    assert status_of(answer(served, data)) in statuses, name
    assert fetch(served + "cells.pack.bin", "bytes=3-4")[0:3:2] == (206, DATA[3:5])  # still serving


def test_an_idle_connection_is_closed_after_the_timeout(served):
    started = time.monotonic()
    assert answer(served, b"", wait=TIMEOUT + 5) == b""  # connected, sent nothing: closed
    assert time.monotonic() - started < TIMEOUT + 2
    with socket.create_connection(address(served), timeout=10) as connection:  # kept alive after an answer
        connection.sendall(request("/index.html"))
        assert status_of(read_reply(connection, time.monotonic() + 5)) == 200
        started = time.monotonic()
        assert read_reply(connection, time.monotonic() + TIMEOUT + 5) == b""
        assert time.monotonic() - started < TIMEOUT + 2


def test_a_half_sent_request_times_out_even_if_it_trickles(served):
    """Half a request gets 408 after the timeout, also when a byte arrives now and then (the deadline is not reset)."""
    started = time.monotonic()
    assert status_of(answer(served, b"GET /cells.pack.bin HTTP/1.1\r\nHost: x\r\n", wait=TIMEOUT + 5)) == 408
    assert time.monotonic() - started < TIMEOUT + 2
    with socket.create_connection(address(served), timeout=10) as connection:
        started, reply = time.monotonic(), b""
        for byte in b"GET /cells.pack.bin HTTP/1.1\r\nHost: x\r\n" * 10:
            try:
                connection.sendall(bytes([byte]))
            except OSError:
                break
            connection.settimeout(TIMEOUT / 5)
            try:
                reply += connection.recv(1024)
            except TimeoutError:
                continue
            except OSError:
                break
            if reply:
                break
        assert status_of(reply + read_reply(connection, time.monotonic() + 2)) == 408
        assert time.monotonic() - started < TIMEOUT + 2


def test_many_half_sent_requests_hold_no_threads_and_print_nothing(served, capfd, caplog):
    threads = threading.active_count()
    connections = [socket.create_connection(address(served), timeout=10) for _ in range(150)]
    try:
        for connection in connections:
            connection.sendall(b"GET /cells.pack.bin HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)
        assert threading.active_count() - threads < 45, "a thread per connection"  # at most the server's worker pool
        deadline = time.monotonic() + TIMEOUT + 5
        assert all(status_of(read_reply(connection, deadline)) == 408 for connection in connections)
    finally:
        for connection in connections:
            connection.close()
    assert fetch(served + "cells.pack.bin", "bytes=0-9")[0:3:2] == (206, DATA[:10])
    time.sleep(0.2)
    assert "Traceback" not in capfd.readouterr().err
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def malformed(rng: random.Random) -> bytes:
    """One malformed request of a random kind."""
    kind = rng.randrange(8)
    good = request("/cells.pack.bin", "Range: bytes=0-127")
    if kind == 0:  # random bytes, ended as a request would be
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) + b"\r\n\r\n"
    if kind == 1:  # a request cut short: half-sent (answered 408 after the timeout) or cut inside its line
        return good[: rng.randrange(1, len(good) - 1)]
    if kind == 2:  # bad ranges
        spec = rng.choice(["bytes=", "bytes=-", "bytes=--1", "bytes=abc", "bytes=5-3", "bytes=-0", "bytes= 1 - 2 ",
                           "bytes=0-1," * 200, "bytes=" + "7" * rng.randrange(1, 6000) + "-", "bytes=0-" + "7" * rng.randrange(1, 6000),
                           "bytes=-" + "7" * rng.randrange(1, 6000), "bytes=\xff\xfe", "bits=0-1", "=0-1", "bytes=1-2-3",
                           f"bytes={rng.randrange(-5, 20000)}-{rng.randrange(-5, 20000)}"])
        return request("/cells.pack.bin", f"Range: {spec}", *rng.sample(["If-Range: x", 'If-Range: "x"', "If-Range: W/\"x\""], rng.randrange(2)))
    if kind == 3:  # bad versions
        version = rng.choice(["HTTP/3.0", "HTTP/2.0", "HTTP/0.9", "HTTP/1.10", "HTTP/x.y", "HTTPS/1.1", "http/1.1", "HTTP/1", "HTTP/1.1 extra", ""])
        return request("/index.html", version=version)
    if kind == 4:  # odd methods
        method = rng.choice(["POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT", "PATCH", "BREW", "G@T", "get", "GET\tGET", "\x00"])
        return request("/index.html", "Content-Length: 0", method=method)
    if kind == 5:  # huge headers
        if rng.random() < 0.5:
            return request("/index.html", "X-Big: " + "h" * rng.randrange(17000, 60000))
        return request("/index.html", *[f"X-{i}: {'v' * 20}" for i in range(rng.randrange(700, 2000))])
    if kind == 6:  # odd targets
        target = rng.choice(["/index.html%00", "/" + "n" * rng.randrange(256, 2000), "/%ff%fe", "*", "http://x/cells.pack.bin", "/\x7f",
                             "/../../../../etc/passwd", "/link-out", "/dir-out/secret.txt", "/sub/", "/", "/%", "/%zz", "?", "/a b",
                             "/" + "c" * rng.randrange(17000, 40000)])
        return request(target)
    bad = rng.choice(["Host x", " Host: x", "Host : x", "Content-Length: -1", "Content-Length: x", "Content-Length: 1\r\nContent-Length: 2",
                      "Transfer-Encoding: chunked\r\n\r\nzz", "Transfer-Encoding: gzip", "X: \x00", "\x80: y", ": nothing"])
    return request("/index.html", bad)


def test_fuzz_every_malformed_request_gets_a_status_and_the_pack_is_still_served(served):
    """300 malformed requests (seeded), 50 connections at a time: each gets a status line, half-sent ones 408 after the timeout."""
    rng = random.Random(20261204)
    cases = [malformed(rng) for _ in range(300)]
    unanswered = []
    for start in range(0, len(cases), 50):
        batch = cases[start:start + 50]
        selector = selectors.DefaultSelector()
        for index, data in enumerate(batch, start):
            connection = socket.create_connection(address(served), timeout=10)
            try:
                connection.sendall(data)
            except OSError:
                pass
            connection.setblocking(False)
            selector.register(connection, selectors.EVENT_READ, [index, b""])
        deadline = time.monotonic() + TIMEOUT + 10
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                try:
                    chunk = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                key.data[1] += chunk
                if not chunk or b"\r\n" in key.data[1]:
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    if status_of(key.data[1]) is None:
                        unanswered.append((key.data[0], cases[key.data[0]][:80], key.data[1][:80]))
                    assert SECRET not in key.data[1]
        for key in list(selector.get_map().values()):
            unanswered.append((key.data[0], cases[key.data[0]][:80], "no answer"))
            key.fileobj.close()
        selector.close()
    assert not unanswered, f"{len(unanswered)} of {len(cases)} without a status: {unanswered[:5]}"
    for first, last in [(0, 127), (128, 4095), (4096, 10239), (7, 7)]:
        assert fetch(served + "cells.pack.bin", f"bytes={first}-{last}")[0:3:2] == (206, DATA[first:last + 1])


# ---------------------------------------------------------------------------------------------- log and errors


def test_every_request_is_logged(served, caplog):
    with caplog.at_level(logging.INFO, logger="helios.serve"):
        fetch(served + "cells.pack.bin", "bytes=0-63")
        fetch(served + "index.html?from=sun")
        fetch(served + "missing")
    assert any("GET /cells.pack.bin [bytes=0-63] -> 206" in message for message in caplog.messages), caplog.messages
    assert any("GET /index.html?from=sun -> 200" in message for message in caplog.messages), caplog.messages
    assert any("GET /missing -> 404" in message for message in caplog.messages), caplog.messages


def test_serving_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(HeliosError, match="not a directory to serve"):
        make_server(tmp_path / "absent")


def test_port_zero_gives_a_free_port_and_shutdown_stops(site):
    server, url = serve_in_background(site, port=0)
    port = address(url)[1]
    assert port and port != 0 and fetch(url + "index.html")[0] == 200
    server.shutdown()
    server.server_close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
