"""Check a parsed document against the schema format (``schema/wstream.schema.json``)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from wstream_gen.loader import Document
from wstream_gen.problems import DocPath, Problem


@cache
def format_schema() -> dict[str, Any]:
    """Return the JSON Schema of the topics-schema format (draft 2020-12).

    Returns:
        The parsed ``wstream.schema.json`` shipped inside the package.
    """
    text = resources.files("wstream_gen").joinpath("wstream.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(format_schema())


def check_format(document: Document) -> list[Problem]:
    """Validate a document against the format, reporting every violation.

    Args:
        document: The parsed schema file.

    Returns:
        One problem per violation, located at the offending key or value.
    """
    problems: list[Problem] = []
    for error in _validator().iter_errors(document.data):
        problems.extend(_explain(document, error))
    return problems


def _path(error: ValidationError) -> DocPath:
    return tuple(error.absolute_path)


def _explain(document: Document, error: ValidationError) -> Iterator[Problem]:
    path = _path(error)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = sorted(schema.get("properties", {}))
        extra = [key for key in instance if key not in schema.get("properties", {})]
        for key in extra:
            hint = difflib.get_close_matches(key, known, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            if not suggestion and _in_schema(path):
                suggestion = " (not a supported JSON Schema keyword)"
            yield document.problem((*path, key), f"unknown key {key!r}{suggestion}", at_key=True)
        return
    if "propertyNames" in error.relative_schema_path:
        template = schema.get("x-message")
        message = template.format(instance=instance) if template else f"invalid key {instance!r}"
        yield document.problem((*path, instance), message, at_key=True)
        return
    if error.validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield document.problem(path, f"missing required key {key!r}")
        return
    if error.validator == "minProperties" and "x-message-minProperties" in schema:
        yield document.problem(path, str(schema["x-message-minProperties"]))
        return
    template = schema.get("x-message")
    if isinstance(template, str):
        yield document.problem(path, template.format(instance=instance))
        return
    if error.validator == "anyOf" and error.context:
        yield from _explain(document, best_match(error.context))
        return
    yield document.problem(path, _message(error), at_key=instance is None)


def _in_schema(path: DocPath) -> bool:
    return "payload" in path or (len(path) >= 2 and path[0] == "models")


def _message(error: ValidationError) -> str:
    instance = error.instance
    validator = error.validator
    if validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        return f"expected {_article(str(wanted))}, got {_describe(instance)}"
    if validator == "enum":
        choices = ", ".join(str(choice) for choice in error.validator_value)
        return f"{instance!r} is not one of {choices}"
    if validator == "minItems":
        return f"must have at least {error.validator_value} item(s)"
    if validator == "uniqueItems":
        return f"items must be unique, got {instance!r}"
    if validator in ("minimum", "exclusiveMinimum"):
        return f"must be {'>' if validator == 'exclusiveMinimum' else '>='} {error.validator_value}"
    return str(error.message)


_ARTICLES = {"object": "a mapping", "array": "a list", "integer": "an integer"}


def _article(type_name: str) -> str:
    return _ARTICLES.get(type_name, f"a {type_name}")


def _describe(instance: Any) -> str:
    if instance is None:
        return "null"
    if isinstance(instance, bool):
        return f"a boolean ({str(instance).lower()})"
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if isinstance(instance, int):
        return f"an integer ({instance})"
    if isinstance(instance, float):
        return f"a number ({instance})"
    return f"a string ({instance!r})"
