"""Semantic checks on payload schemas that JSON Schema alone cannot express."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from pydantic_core import SchemaError as CoreSchemaError
from pydantic_core import SchemaValidator, core_schema

from wstream_gen.loader import Document
from wstream_gen.problems import DocPath, Problem

_REF_PREFIX = "#/models/"
_SUBSCHEMA_LISTS = ("oneOf", "anyOf")
_SUBSCHEMAS = ("items", "additionalProperties")
_BOUNDS = (
    ("minimum", "maximum"),
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("exclusiveMinimum", "exclusiveMaximum"),
)


def walk(schema: Any, path: DocPath) -> Iterator[tuple[DocPath, dict[str, Any]]]:
    """Yield every (sub)schema of a payload schema with its document path.

    Args:
        schema: A payload schema (already checked against the format).
        path: Its document path.

    Yields:
        ``(path, schema)`` for the schema itself and every nested schema.
    """
    if not isinstance(schema, dict):
        return
    yield path, schema
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, child in properties.items():
            yield from walk(child, (*path, "properties", name))
    for key in _SUBSCHEMAS:
        yield from walk(schema.get(key), (*path, key))
    for key in _SUBSCHEMA_LISTS:
        branches = schema.get(key)
        if isinstance(branches, list):
            for index, child in enumerate(branches):
                yield from walk(child, (*path, key, index))


def ref_target(schema: Mapping[str, Any]) -> str | None:
    """Return the model a schema's ``$ref`` names, if it has one.

    Args:
        schema: A (sub)schema.

    Returns:
        The model name after ``#/models/``, or None.
    """
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
        return ref[len(_REF_PREFIX) :]
    return None


def check_schema(
    document: Document, schema: Any, path: DocPath, models: Mapping[str, Any]
) -> Iterator[Problem]:
    """Check one payload schema: refs, patterns, defaults, enums, bounds, ``required``.

    Args:
        document: The document (for locations).
        schema: The payload schema.
        path: Its document path.
        models: The ``models`` section, to resolve refs and validate defaults.

    Yields:
        Every problem found.
    """
    for node_path, node in walk(schema, path):
        target = ref_target(node)
        if target is not None and target not in models:
            hint = difflib.get_close_matches(target, list(models), n=1)
            known = f"did you mean {hint[0]!r}?" if hint else _known(models)
            yield document.problem(
                (*node_path, "$ref"), f"unknown model {target!r} in $ref; {known}"
            )
        yield from _check_node(document, node_path, node, models)


def _known(models: Mapping[str, Any]) -> str:
    if not models:
        return "the schema defines no models"
    return "defined models: " + ", ".join(sorted(models))


def _check_node(
    document: Document, path: DocPath, node: dict[str, Any], models: Mapping[str, Any]
) -> Iterator[Problem]:
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        try:
            SchemaValidator(core_schema.str_schema(pattern=pattern))
        except CoreSchemaError as error:
            reason = str(error).strip().splitlines()[-1].strip()
            yield document.problem(
                (*path, "pattern"), f"invalid regular expression {pattern!r}: {reason}"
            )
    for key in ("enum", "const"):
        if key not in node:
            continue
        values = node[key] if key == "enum" and isinstance(node[key], list) else [node[key]]
        for index, value in enumerate(values):
            if not (value is None or isinstance(value, (str, int))):
                where = (*path, key, index) if key == "enum" else (*path, key)
                yield document.problem(
                    where,
                    f"{key} values must be strings, integers, booleans or null, got {value!r}",
                )
    for low, high in _BOUNDS:
        lower, upper = node.get(low), node.get(high)
        if isinstance(lower, (int, float)) and isinstance(upper, (int, float)) and lower > upper:
            yield document.problem((*path, low), f"{low} {lower} is greater than {high} {upper}")
    required = node.get("required")
    properties = node.get("properties")
    if isinstance(required, list):
        defined = properties if isinstance(properties, dict) else {}
        for index, name in enumerate(required):
            if isinstance(name, str) and name not in defined:
                yield document.problem(
                    (*path, "required", index),
                    f"required property {name!r} is not defined in properties",
                )
    if "default" in node:
        yield from _check_default(document, path, node, models)


def _check_default(
    document: Document, path: DocPath, node: dict[str, Any], models: Mapping[str, Any]
) -> Iterator[Problem]:
    schema = {key: value for key, value in node.items() if key != "default"}
    schema["models"] = dict(models)
    try:
        errors = list(Draft202012Validator(schema).iter_errors(node["default"]))
    except Exception:  # an unresolvable $ref is reported on its own
        return
    if errors:
        yield document.problem(
            (*path, "default"),
            f"default {node['default']!r} does not match its schema: {errors[0].message}",
        )
