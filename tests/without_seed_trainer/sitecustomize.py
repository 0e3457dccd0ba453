"""Loaded at start-up by every Python process whose PYTHONPATH holds this folder: the seed trainer
(``helios.seed``) and gsplat, which only it uses, cannot be imported, as on a
machine where they are absent or broken.  tests/test_levels_stand_alone.py runs the levels with it."""

import sys

BLOCKED = ("gsplat", "helios.seed")


class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if any(name == blocked or name.startswith(blocked + ".") for blocked in BLOCKED):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: the levels run without the seed trainer)", name=name)
        return None


sys.meta_path.insert(0, _Blocked())
