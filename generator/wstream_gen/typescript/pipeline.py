"""The TypeScript pipeline for one schema file: load, validate, build the spec, types, render."""

from __future__ import annotations

from pathlib import Path

from wstream_gen.loader import Document, load
from wstream_gen.problems import SchemaError
from wstream_gen.spec import build_spec
from wstream_gen.typescript.naming import check_names
from wstream_gen.typescript.render import render_typescript
from wstream_gen.typescript.toolchain import Toolchain, find_toolchain
from wstream_gen.typescript.types import generate_types


def generate_typescript_package(
    schema: Path,
    *,
    shown_as: str | None = None,
    package: str | None = None,
    toolchain: Toolchain | None = None,
) -> tuple[str, dict[str, str]]:
    """Generate the TypeScript package for one schema file.

    Args:
        schema: The schema file.
        shown_as: How to name the file in headers and messages (default: as given).
        package: Package (directory) name to use instead of the schema's ``name``.
        toolchain: Node.js and json-schema-to-typescript (default: found as
            :func:`find_toolchain` does).

    Returns:
        The package name and its files (name relative to the package directory -> text).

    Raises:
        SchemaError: The schema is invalid (every problem is listed).
        ToolchainError: Node.js or json-schema-to-typescript is missing.
    """
    return generate_typescript(load(schema, shown_as), package=package, toolchain=toolchain)


def generate_typescript(
    document: Document, *, package: str | None = None, toolchain: Toolchain | None = None
) -> tuple[str, dict[str, str]]:
    """Generate the TypeScript package of a loaded schema document.

    Args:
        document: The parsed schema file.
        package: Package (directory) name to use instead of the schema's ``name``.
        toolchain: Node.js and json-schema-to-typescript (default: found as
            :func:`find_toolchain` does).

    Returns:
        The package name and its files (name relative to the package directory -> text).

    Raises:
        SchemaError: The schema is invalid (every problem is listed).
        ToolchainError: Node.js or json-schema-to-typescript is missing.
    """
    spec = build_spec(document, package)
    problems = list(check_names(document, spec))
    if problems:
        raise SchemaError(problems)
    types = generate_types(spec, document, toolchain or find_toolchain())
    return spec.package, render_typescript(spec, types)
