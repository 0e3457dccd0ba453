"""The workflow's configuration schema, and what is built from it.

``helios/data/config.schema.yaml`` (``config/config.schema.yaml`` links to it)
is the one description of every setting: Snakemake validates the config
against it and fills its defaults, and the command line takes its options,
their types, choices, defaults and help texts from it.  The option
dataclasses (:class:`helios.seed.training.TrainOptions`, ...) repeat the defaults
as plain Python, and a test keeps the two equal.
"""

from __future__ import annotations

import argparse
import functools
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

from helios.errors import HeliosError

SCHEMA_PATH = Path(__file__).with_name("data") / "config.schema.yaml"
T = TypeVar("T")


@functools.cache
def schema() -> dict[str, Any]:
    """The parsed configuration schema."""
    return yaml.safe_load(SCHEMA_PATH.read_text(encoding="utf-8"))


def section(name: str) -> dict[str, dict[str, Any]]:
    """Key -> schema entry (type, default, description, ...) of one top-level section."""
    return schema()["properties"][name]["properties"]


def from_mapping(cls: type[T], values: dict[str, Any], what: str) -> T:
    """``cls(**values)``, failing clearly on keys ``cls`` does not have."""
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(values) - known)
    if unknown:
        raise HeliosError(f"unknown {what}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return cls(**values)


def _argument_type(entry: dict[str, Any]) -> Any:
    kinds = entry.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "integer" in kinds:
        return int
    if "number" in kinds:
        return float
    if "boolean" in kinds:
        return _boolean
    return str


def _boolean(text: str) -> bool:
    """``true``/``false`` (also yes/no, 1/0, on/off) for a boolean option."""
    lowered = text.lower()
    if lowered in ("true", "yes", "1", "on"):
        return True
    if lowered in ("false", "no", "0", "off"):
        return False
    raise argparse.ArgumentTypeError(f"must be true or false, got {text}")


_METAVARS = {int: "N", float: "X", _boolean: "BOOL"}


def add_section_arguments(parser: argparse.ArgumentParser | Any, name: str, defaults: dict[str, Any] | None = None,
                          exclude: tuple[str, ...] = ()) -> None:
    """One ``--key-name`` option per key of schema section ``name``, help from the schema.

    Defaults are the schema's, or those of ``defaults`` (e.g. the workflow's default config) where it has the key.
    """
    for key, entry in section(name).items():
        if key in exclude:
            continue
        parser.add_argument(
            "--" + key.replace("_", "-"),
            dest=key,
            type=_argument_type(entry),
            default=(defaults or {}).get(key, entry.get("default")),
            choices=entry.get("enum"),
            metavar=None if "enum" in entry else _METAVARS.get(_argument_type(entry), "VALUE"),
            help=entry.get("description", key).replace("%", "%%") + " (default: %(default)s)",
        )


def section_values(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """The values of schema section ``name`` parsed by :func:`add_section_arguments`."""
    return {key: getattr(args, key) for key in section(name) if hasattr(args, key)}
