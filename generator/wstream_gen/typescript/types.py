"""Drive json-schema-to-typescript (Node.js): one TypeScript type per model and inline payload."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wstream_gen.loader import Document
from wstream_gen.models import plain_text
from wstream_gen.problems import DocPath, SchemaError
from wstream_gen.spec.stream import StreamSpec
from wstream_gen.typescript.toolchain import Toolchain

_DRIVER = Path(__file__).with_name("json2ts_driver.js")
_MODELS_REF = "#/models/"
_DEFS_REF = "#/$defs/"
#: Keywords with no bearing on a type: left out, so their values never reach the tool.
_DROPPED = frozenset({"default", "examples"})
_EXPORT = re.compile(r"^export (?:interface|type) ([A-Za-z_$][A-Za-z0-9_$]*)\b", re.MULTILINE)
#: Generous: the tool starts Node and prettier once per package.
_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class TypesModule:
    """The types json-schema-to-typescript wrote for one stream.

    Attributes:
        declarations: One exported declaration per model and inline payload, in schema order.
        tool_version: The json-schema-to-typescript version that wrote them.
    """

    declarations: tuple[str, ...]
    tool_version: str


def type_definitions(spec: StreamSpec) -> dict[str, tuple[dict[str, Any], DocPath]]:
    """The JSON Schema of every named type, as json-schema-to-typescript gets it.

    Each schema's ``title`` is its class name (the names Python's models.py uses), refs
    point into ``#/$defs``, nested titles are dropped (nested objects stay inline, so no
    generated name can collide with a model) and so are ``default`` and ``examples``.

    Args:
        spec: The stream spec.

    Returns:
        Schema and document path by type name, in schema order.
    """
    defs: dict[str, tuple[dict[str, Any], DocPath]] = {}
    for model in spec.models:
        defs[model.name] = (_top(model.name, model.schema), ("models", model.name))
    for topic in spec.topics:
        if topic.defines_class:
            schema = _top(topic.payload_class, topic.payload)
            defs[topic.payload_class] = (schema, (*topic.path, "payload"))
    return defs


def _top(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    cleaned = _clean(schema)
    assert isinstance(cleaned, dict)
    cleaned["title"] = name
    return cleaned


def _clean(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_clean(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED or key == "title":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith(_MODELS_REF):
            out[key] = _DEFS_REF + value[len(_MODELS_REF) :]
        elif key == "description" and isinstance(value, str):
            out[key] = plain_text(value)
        elif key == "properties" and isinstance(value, dict):
            required = schema.get("required", [])
            out[key] = {
                name: _clean(child)
                if name in required or (isinstance(child, dict) and "default" in child)
                else _or_null(_clean(child))
                for name, child in value.items()
            }
        elif key in ("enum", "const"):
            out[key] = value  # values, not schemas
        else:
            out[key] = _clean(value)
    return out


def _or_null(schema: Any) -> Any:
    """An optional property with no default, which may also be ``null`` on the wire.

    Python's models give such a field the default ``None`` and write it as ``null`` when
    unset, so a TypeScript reader must expect ``null`` as well as a missing property.
    """
    if not isinstance(schema, dict) or _allows_null(schema):
        return schema
    wrapper: dict[str, Any] = {"anyOf": [schema, {"type": "null"}]}
    description = schema.pop("description", None)
    if description is not None:
        wrapper["description"] = description  # the comment stays on the property
    return wrapper


def _allows_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    branches = schema.get("anyOf", schema.get("oneOf", []))
    return isinstance(branches, list) and any(
        isinstance(branch, dict) and _allows_null(branch) for branch in branches
    )


def generate_types(spec: StreamSpec, document: Document, toolchain: Toolchain) -> TypesModule:
    """Write the TypeScript types of a stream with json-schema-to-typescript.

    Args:
        spec: The stream spec.
        document: The source document (to locate problems).
        toolchain: Node.js and the package.

    Returns:
        The declarations.

    Raises:
        SchemaError: The tool failed on the schema or named a type differently.
    """
    defs = type_definitions(spec)
    request = {
        "package": str(toolchain.json2ts),
        "order": list(defs),
        "defs": {name: schema for name, (schema, _) in defs.items()},
    }
    result = subprocess.run(
        [toolchain.node, str(_DRIVER)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=_TIMEOUT_SECONDS,
    )
    if result.returncode != 0:
        message = " ".join(result.stderr.split()) or f"exit status {result.returncode}"
        raise SchemaError([document.problem((), f"json-schema-to-typescript failed: {message}")])
    output: dict[str, dict[str, str]] = json.loads(result.stdout)
    problems = [
        document.problem(
            defs[name][1], f"json-schema-to-typescript failed: {' '.join(error.split())}"
        )
        for name, error in output["errors"].items()
    ]
    if problems:
        raise SchemaError(problems)
    declarations = []
    for name, (_, path) in defs.items():
        text = output["types"][name].replace("\r\n", "\n").strip()
        exported = _EXPORT.findall(text)
        if exported != [name]:
            raise SchemaError(
                [document.problem(path, f"json-schema-to-typescript declared {exported} "
                                  f"instead of the type {name!r}")]
            )  # fmt: skip
        declarations.append(text + "\n")
    return TypesModule(tuple(declarations), toolchain.json2ts_version)
