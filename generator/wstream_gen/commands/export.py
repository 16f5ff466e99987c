"""``wstream-gen export --asyncapi SCHEMA [-o FILE]``: the stream's contract for other languages."""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from wstream_gen.asyncapi import asyncapi_document
from wstream_gen.commands.inputs import load_valid

EXIT_OK = 0
EXIT_INVALID = 2
_FORMATS = {".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wstream-gen export",
        description="Export a topics schema as a standard document other tools can read.",
        epilog="Exit status: 0 written, 2 invalid input.",
    )
    parser.add_argument("schema", metavar="SCHEMA", help="the topics schema")
    parser.add_argument(
        "--asyncapi", action="store_true", required=True, help="an AsyncAPI 3.0.0 document"
    )
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write here (format from .json/.yaml/.yml)"
    )
    parser.add_argument(
        "--format",
        choices=("json", "yaml"),
        help="output format (default: from the -o extension, else json)",
    )
    parser.add_argument(
        "--api-version", metavar="TEXT", help="info.version (default: a schema fingerprint)"
    )
    return parser


def render(document: dict[str, Any], output_format: str) -> str:
    """Serialise an exported document.

    Args:
        document: Plain JSON-compatible data.
        output_format: ``json`` or ``yaml``.

    Returns:
        The text, ending with a newline.
    """
    if output_format == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 100
    # Anchors and aliases for repeated objects would make the document harder to read.
    yaml.representer.ignore_aliases = lambda data: True
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def run_export(argv: Sequence[str]) -> int:
    """Run ``wstream-gen export``.

    Args:
        argv: The arguments after ``export``.

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
    output_format = args.format
    if output_format is None and args.output is not None:
        output_format = _FORMATS.get(Path(args.output).suffix.lower())
        if output_format is None:
            print(
                f"wstream-gen export: cannot tell the format of {args.output!r}; "
                "name it .json, .yaml or .yml, or pass --format",
                file=sys.stderr,
            )
            return EXIT_INVALID
    loaded = load_valid("export", [args.schema])
    if loaded is None:
        return EXIT_INVALID
    ((document, spec),) = loaded
    text = render(asyncapi_document(spec, document.data, args.api_version), output_format or "json")
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        Path(args.output).write_text(text, encoding="utf-8")
    except OSError as error:
        print(f"wstream-gen export: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return EXIT_INVALID
    print(f"wstream-gen export: AsyncAPI {spec.name!r} written to {args.output}", file=sys.stderr)
    return EXIT_OK
