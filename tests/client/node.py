"""Running the client's JavaScript under Node for tests (skipped, with the reason, where Node is missing)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"
SCRIPTS = Path(__file__).resolve().parent / "js"


def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.skip("Node.js is not installed (the client's tests need node >= 20)")
    return found


def run_script(name: str, *args: str, stdin: str | None = None) -> list:
    """Run tests/client/js/NAME with the client's src/ as its first argument; its stdout's JSON lines."""
    result = subprocess.run([node(), str(SCRIPTS / name), (CLIENT / "src").as_uri() + "/", *args], input=stdin,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
