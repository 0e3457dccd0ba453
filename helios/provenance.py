"""Code versions for rerun triggers, and the version record a result carries.

Snakemake reruns a rule when its ``params`` change, but not when a module the
rule's script imports changes.  :func:`code_version` hashes the source of a
``helios`` module and of every ``helios`` module it imports, directly or not,
so a rule whose params include it reruns exactly when code it runs changes.
"""

from __future__ import annotations

import ast
import hashlib
import platform
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import helios

PACKAGE = "helios"


_ROOT = Path(helios.__file__).parent
# Files a module loads at run time (compiled sources, data tables): part of that module's code version.
RESOURCES = {
    "helios.seed.accel.cuda_extensions": ("seed/accel/csrc/fused_ssim.cu",),
    "helios.colour": ("data/blackbody_linear_srgb.csv",),
    "helios.landmarks": ("data/landmarks.json",),
    "helios.lod.rule": ("data/level_rule.json",),
}


def _module_file(module: str) -> Path | None:
    """Source file of a helios module name, or None if the name is not a module."""
    parts = module.split(".")[1:]
    base = _ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _source_path(module: str) -> Path:
    path = _module_file(module)
    if path is None:
        raise ModuleNotFoundError(f"no helios module named {module!r}")
    return path


def _statements(body: list[ast.AST]) -> Iterator[ast.AST]:
    """Every statement of ``body`` and of the blocks in it (an import is a statement, never inside an expression: a
    walk over statements reads 7 % of the nodes ``ast.walk`` would in helios/, at every Snakemake start)."""
    for node in body:
        yield node
        for block in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, block, None) or [])


@cache  # a module's imports are read once per process, as its closure is (module_closure)
def _helios_imports(module: str, path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in _statements(tree.body):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                if name != module and _module_file(name) is not None:
                    found.add(name)
    return frozenset(found)


@cache
def module_closure(module: str) -> tuple[str, ...]:
    """``module`` and every helios module it imports, transitively, sorted."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_helios_imports(name, _source_path(name)) - seen)
    return tuple(sorted(seen))


def code_version(*modules: str) -> str:
    """Short hash of the helios version and the sources ``modules`` depend on."""
    digest = hashlib.sha256(helios.__version__.encode())
    for name in sorted({m for module in modules for m in module_closure(module)}):
        digest.update(name.encode() + b"\0" + _source_path(name).read_bytes() + b"\0")
        for resource in RESOURCES.get(name, ()):
            digest.update(resource.encode() + b"\0" + (_ROOT / resource).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def versions(*packages: str) -> dict[str, str]:
    """The versions of HELIOS, Python and ``packages`` (distribution names), read from their installed
    metadata: recording a version imports nothing (a levels job never imports the seed trainer's gsplat)."""
    from importlib import metadata

    record = {"helios": helios.__version__, "python": platform.python_version()}
    for package in packages:
        try:
            record[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            record[package] = "unknown"
    return dict(sorted(record.items()))
