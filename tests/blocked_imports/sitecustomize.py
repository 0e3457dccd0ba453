"""Loaded at start-up by every Python process whose PYTHONPATH holds this folder: the modules named in
``HELIOS_BLOCKED_IMPORTS`` (comma-separated; by default the seed trainer, ``helios.seed``, and gsplat, which
only it uses) cannot be imported, as on a machine where they are absent or broken.
tests/test_levels_stand_alone.py runs the levels with it; tests/test_workflow.py parses the Snakefile without torch."""

import os
import sys

BLOCKED = tuple(os.environ.get("HELIOS_BLOCKED_IMPORTS", "gsplat,helios.seed").split(","))


class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if any(name == blocked or name.startswith(blocked + ".") for blocked in BLOCKED):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by tests/blocked_imports)", name=name)
        return None


sys.meta_path.insert(0, _Blocked())
