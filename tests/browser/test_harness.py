"""The browser harness itself: a real headless Chromium with WebGL2, fetching byte ranges from helios.serve."""

import logging

import pytest

from helios.serve import serve_in_background
from tests.browser.harness import browser

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>harness</title><link rel="icon" href="data:,"></head>
<body><canvas id="c" width="64" height="32"></canvas>
<script>
window.result = (async () => {
  const gl = document.getElementById("c").getContext("webgl2", {preserveDrawingBuffer: true});
  if (!gl) return {webgl2: false};
  gl.clearColor(1.0, 0.5, 0.0, 1.0);
  gl.clear(gl.COLOR_BUFFER_BIT);
  const pixel = new Uint8Array(4);
  gl.readPixels(10, 10, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
  const response = await fetch("data.bin", {headers: {Range: "bytes=16-31"}});
  const bytes = Array.from(new Uint8Array(await response.arrayBuffer()));
  return {webgl2: true, renderer: gl.getParameter(gl.RENDERER), pixel: Array.from(pixel),
          status: response.status, range: response.headers.get("Content-Range"), bytes};
})();
</script></body></html>
"""


@pytest.fixture
def site(tmp_path):
    (tmp_path / "index.html").write_text(PAGE)
    (tmp_path / "data.bin").write_bytes(bytes(range(64)))
    server, url = serve_in_background(tmp_path)
    yield url
    server.shutdown()
    server.server_close()


def test_chromium_renders_webgl2_and_fetches_a_byte_range(site, caplog):
    errors = []
    with caplog.at_level(logging.INFO, logger="helios.serve"), browser() as chromium:
        page = chromium.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(site + "index.html")
        result = page.evaluate("window.result")
        screenshot = page.locator("#c").screenshot()
    assert result["webgl2"], "no WebGL2 context in headless Chromium"
    assert result["pixel"] == [255, 128, 0, 255] or result["pixel"] == [255, 127, 0, 255], result
    assert result["status"] == 206 and result["range"] == "bytes 16-31/64" and result["bytes"] == list(range(16, 32))
    assert screenshot.startswith(b"\x89PNG")
    assert any("GET /data.bin [bytes=16-31] -> 206" in message for message in caplog.messages), caplog.messages
    assert not errors, errors
