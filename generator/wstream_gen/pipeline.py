"""The whole pipeline for one schema file: load, validate, build the spec, render, format."""

from __future__ import annotations

from pathlib import Path

from wstream_gen.format import format_python
from wstream_gen.loader import load
from wstream_gen.models import generate_models
from wstream_gen.render import render_package
from wstream_gen.spec import build_spec


def generate_package(
    schema: Path, *, shown_as: str | None = None, package: str | None = None
) -> tuple[str, dict[str, str]]:
    """Generate the package for one schema file.

    Args:
        schema: The schema file.
        shown_as: How to name the file in headers and messages (default: as given).
        package: Package name to use instead of the schema's ``name``.

    Returns:
        The package name and its files (name relative to the package directory -> text).

    Raises:
        SchemaError: The schema is invalid (every problem is listed).
    """
    document = load(schema, shown_as)
    spec = build_spec(document, package)
    models = generate_models(spec, document)
    files = render_package(spec, models)
    formatted = {
        name: format_python(text, f"{spec.package}/{name}") if name.endswith(".py") else text
        for name, text in files.items()
    }
    return spec.package, formatted
