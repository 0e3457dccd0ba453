"""The client's own unit tests (client/test/*.test.js, Node's test runner) as part of the suite."""

import subprocess

from tests.client.node import CLIENT, node


def test_client_unit_tests_pass_under_node():
    result = subprocess.run([node(), "--test", "test/"], cwd=CLIENT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass " in result.stdout
