"""The Range-capable static server, through a real HTTP client over a socket."""

import logging
import urllib.error
import urllib.request

import pytest

from helios.errors import HeliosError
from helios.serve import make_server, parse_range, serve_in_background

DATA = bytes(range(256)) * 40  # 10,240 bytes


@pytest.fixture
def served(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "cells.pack.bin").write_bytes(DATA)
    (tmp_path / "secret.txt").write_text("outside the served directory")
    server, url = serve_in_background(tmp_path / "site")
    yield url
    server.shutdown()
    server.server_close()


def fetch(url, range_header=None, method="GET"):
    request = urllib.request.Request(url, method=method, headers={"Range": range_header} if range_header else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_byte_ranges(served):
    url = served + "cells.pack.bin"
    status, headers, body = fetch(url)
    assert status == 200 and body == DATA and headers["Accept-Ranges"] == "bytes"
    status, headers, body = fetch(url, "bytes=100-199")
    assert status == 206 and body == DATA[100:200] and headers["Content-Range"] == "bytes 100-199/10240"
    assert int(headers["Content-Length"]) == 100
    assert fetch(url, "bytes=10000-")[2] == DATA[10000:]
    assert fetch(url, "bytes=-16")[2] == DATA[-16:]
    assert fetch(url, "bytes=10200-99999")[2] == DATA[10200:]  # clipped to the end
    status, headers, body = fetch(url, "bytes=20000-20010")
    assert status == 416 and headers["Content-Range"] == "bytes */10240" and body == b""
    assert fetch(url, "bytes=0-1,5-6")[0:3:2] == (200, DATA)  # several ranges: the whole file
    status, headers, body = fetch(url, "bytes=5-9", method="HEAD")
    assert status == 206 and body == b"" and headers["Content-Range"] == "bytes 5-9/10240"


def test_nothing_outside_the_directory_and_missing_files(served):
    assert fetch(served + "../secret.txt")[0] == 404
    assert fetch(served + "%2e%2e/secret.txt")[0] == 404
    assert fetch(served + "nothing.bin", "bytes=0-1")[0] == 404


def test_every_request_is_logged(served, caplog):
    with caplog.at_level(logging.INFO, logger="helios.serve"):
        fetch(served + "cells.pack.bin", "bytes=0-63")
    assert any("GET /cells.pack.bin [bytes=0-63] -> 206" in message for message in caplog.messages)


def test_range_parsing():
    assert parse_range(None, 10) is None and parse_range("bytes=2-4", 10) == (2, 4)
    assert parse_range("bytes=-3", 10) == (7, 9) and parse_range("bytes=-30", 10) == (0, 9)
    assert parse_range("bytes=4-2", 10) == "unsatisfiable" and parse_range("bytes=-0", 10) == "unsatisfiable"
    assert parse_range("items=1-2", 10) is None and parse_range("bytes=0-", 0) == "unsatisfiable"


def test_serving_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(HeliosError, match="not a directory to serve"):
        make_server(tmp_path / "absent")
