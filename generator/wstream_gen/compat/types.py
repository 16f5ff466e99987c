"""Rule family: the JSON types a schema accepts (``type``, or the types of its enum values)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.versions import Node, Versions

_ORDER = ("object", "array", "string", "integer", "number", "boolean", "null")


def json_type(value: Any) -> str:
    """Name the JSON type of a plain value.

    Args:
        value: A value from the schema (enum member, const, default).

    Returns:
        ``string``, ``integer``, ``number``, ``boolean``, ``null``, ``array`` or ``object``.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def accepted_types(schema: Mapping[str, Any]) -> frozenset[str] | None:
    """Return the JSON types a schema accepts, or None when it accepts every type.

    ``number`` includes ``integer``; without ``type``, ``enum`` and ``const`` limit the
    types to those of their values.

    Args:
        schema: A (sub)schema.

    Returns:
        The set of type names, or None.
    """
    written = schema.get("type")
    if isinstance(written, str):
        types = {written}
    elif isinstance(written, list):
        types = {name for name in written if isinstance(name, str)}
    elif isinstance(schema.get("enum"), list):
        types = {json_type(value) for value in schema["enum"]}
    elif "const" in schema:
        types = {json_type(schema["const"])}
    else:
        return None
    if "number" in types:
        types.add("integer")
    return frozenset(types)


def _shown(types: frozenset[str] | None) -> str:
    if types is None:
        return "any type"
    shown = [name for name in _ORDER if name in types]
    if "number" in types:
        shown.remove("integer")
    return " or ".join(shown)


def compare(versions: Versions, old: Node, new: Node) -> tuple[list[Finding], bool]:
    """Compare the accepted types of two nodes.

    Args:
        versions: The two schema files.
        old: The OLD node (``$ref`` resolved).
        new: The NEW node (``$ref`` resolved).

    Returns:
        The findings, and True when no value of OLD's types is accepted by NEW (the
        other rules then have nothing left to compare).
    """
    old_types, new_types = accepted_types(old.schema), accepted_types(new.schema)
    if old_types == new_types:
        return [], False
    where = (*new.path, "type") if "type" in new.schema else new.path
    change = f"from {_shown(old_types)} to {_shown(new_types)}"
    if new_types is None:
        message = f"type widened {change}; old subscribers reject the new types until upgraded"
        return [versions.at_new(where, Impact.SUBSCRIBERS_FIRST, message)], False
    if old_types is None:
        message = f"type narrowed {change}; old values of other types are rejected"
        return [versions.at_new(where, Impact.BREAKING, message)], False
    if not old_types & new_types:
        message = f"type changed {change}; every old value is rejected"
        return [versions.at_new(where, Impact.BREAKING, message)], True
    findings: list[Finding] = []
    lost = old_types - new_types
    if lost:
        lost_shown = "non-integer numbers" if lost == {"number"} else _shown(frozenset(lost))
        message = f"type narrowed {change}; old values that are {lost_shown} are rejected"
        findings.append(versions.at_new(where, Impact.BREAKING, message))
    gained = new_types - old_types
    if gained:
        gained_shown = "non-integer numbers" if gained == {"number"} else _shown(frozenset(gained))
        message = f"type widened {change}; old subscribers reject {gained_shown} until upgraded"
        findings.append(versions.at_new(where, Impact.SUBSCRIBERS_FIRST, message))
    return findings, False
