"""Headless Chromium for the web client's tests: Debian's chromium, driven by Playwright, against helios.serve.

WebGL2 runs through SwiftShader on the CPU.  :func:`browser` skips the test,
with the reason, where Chromium or Playwright is missing or cannot start.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
# What a closed network and a machine without a display need (every start otherwise tries to reach Google's hosts).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


def chromium_path() -> str | None:
    override = os.environ.get("HELIOS_CHROMIUM")
    if override:
        return override
    return next((found for name in CHROMIUM_CANDIDATES if (found := shutil.which(name))), None)


#: The Chromium of this test process, launched by the first test that asks and shared by the rest (a launch costs about
#: 2.4 CPU-seconds); each test's pages are in contexts of their own, closed when its ``with browser()`` ends.
_shared: dict[str, Any] = {}


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A Playwright Chromium browser (headless), or a skipped test saying why there is none."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium here (Debian: apt-get install chromium; or set HELIOS_CHROMIUM)")
    if "instance" in _shared and not _shared["instance"].is_connected():
        close_shared_browser()  # it crashed in an earlier test: launch another
    if "instance" not in _shared:
        playwright = sync_playwright().start()
        try:
            _shared["instance"] = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            playwright.stop()
            pytest.skip(f"Chromium at {executable} does not start here: {str(exc).splitlines()[0]}")
        _shared["playwright"] = playwright
    instance = _shared["instance"]
    before = set(instance.contexts)
    try:
        yield instance
    finally:
        for context in set(instance.contexts) - before:
            context.close()


def close_shared_browser() -> None:
    """Close this process's Chromium, if one is up: after a crash, before a test outside tests/browser, at the session's end."""
    instance, playwright = _shared.pop("instance", None), _shared.pop("playwright", None)
    if instance is not None and instance.is_connected():
        instance.close()
    if playwright is not None:
        playwright.stop()
