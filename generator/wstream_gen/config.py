"""Options of ``wstream-gen`` read from ``[tool.wstream]`` in ``pyproject.toml``."""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TOML: Any = importlib.import_module("tomllib" if sys.version_info >= (3, 11) else "tomli")


#: The languages wstream-gen writes; the first is the default.
LANGUAGES = ("python", "typescript")


class ConfigError(Exception):
    """``[tool.wstream]`` is malformed."""


@dataclass(frozen=True)
class Config:
    """Defaults for the command line.

    Attributes:
        schemas: Schema files to generate from when none are given.
        out: Output directory.
        package: Package name override (single schema only).
        lang: The output language (``python`` or ``typescript``), None for the default.
    """

    schemas: tuple[str, ...] = field(default_factory=tuple)
    out: str | None = None
    package: str | None = None
    lang: str | None = None


def read_config(pyproject: Path) -> Config:
    """Read ``[tool.wstream]`` from a ``pyproject.toml`` (a missing file means no options).

    Args:
        pyproject: Path of the ``pyproject.toml``.

    Returns:
        The options found.

    Raises:
        ConfigError: The file is not valid TOML or the table has unknown or mistyped keys.
    """
    try:
        data = _TOML.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as error:
        raise ConfigError(f"{pyproject}: cannot read [tool.wstream]: {error}") from None
    table = data.get("tool", {}).get("wstream", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.wstream] must be a table")
    unknown = sorted(set(table) - {"schemas", "out", "package", "lang"})
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown key(s) in [tool.wstream]: {', '.join(unknown)} "
            "(known: schemas, out, package, lang)"
        )
    schemas = table.get("schemas", [])
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise ConfigError(f"{pyproject}: [tool.wstream] schemas must be a list of paths")
    for key in ("out", "package", "lang"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{pyproject}: [tool.wstream] {key} must be a string")
    lang = table.get("lang")
    if lang is not None and lang not in LANGUAGES:
        raise ConfigError(
            f"{pyproject}: [tool.wstream] lang {lang!r} is not one of {', '.join(LANGUAGES)}"
        )
    return Config(
        schemas=tuple(schemas), out=table.get("out"), package=table.get("package"), lang=lang
    )
