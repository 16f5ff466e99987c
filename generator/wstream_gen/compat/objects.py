"""Rule family: object shapes (``properties``, ``required``, ``additionalProperties``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.versions import Compare, Node, Versions

_UNKNOWN = "old subscribers forbid unknown properties and reject items carrying it until upgraded"


def _properties(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    value = schema.get("properties")
    if not isinstance(value, dict):
        return {}
    return {name: child for name, child in value.items() if isinstance(child, dict)}


def _required(schema: Mapping[str, Any]) -> list[str]:
    value = schema.get("required")
    return [name for name in value if isinstance(name, str)] if isinstance(value, list) else []


def compare(versions: Versions, old: Node, new: Node, recurse: Compare) -> list[Finding]:
    """Compare the object shapes of two nodes, descending into shared properties.

    Args:
        versions: The two schema files.
        old: The OLD node.
        new: The NEW node.
        recurse: Compares two subschemas.

    Returns:
        Every finding about properties, required keys and unknown properties.
    """
    findings: list[Finding] = []
    findings.extend(_kept_and_added(versions, old, new, recurse))
    findings.extend(_removed(versions, old, new, recurse))
    findings.extend(_extras(versions, old, new, recurse))
    return findings


def _required_path(node: Node, name: str) -> tuple[str | int, ...]:
    return (*node.path, "required", _required(node.schema).index(name))


def _kept_and_added(
    versions: Versions, old: Node, new: Node, recurse: Compare
) -> Iterator[Finding]:
    old_properties, new_properties = _properties(old.schema), _properties(new.schema)
    old_required, new_required = set(_required(old.schema)), set(_required(new.schema))
    old_extra = old.schema.get("additionalProperties")
    for name, schema in new_properties.items():
        path = (*new.path, "properties", name)
        if name in old_properties:
            yield from recurse(Node(old_properties[name], (*old.path, "properties", name)),
                               Node(schema, path))  # fmt: skip
            if name in new_required and name not in old_required:
                yield versions.at_new(
                    _required_path(new, name), Impact.BREAKING,
                    f"property {name!r} is now required; old items may omit it",
                )  # fmt: skip
            elif name in old_required and name not in new_required:
                yield versions.at_old(
                    _required_path(old, name), Impact.SUBSCRIBERS_FIRST,
                    f"property {name!r} is no longer required; "
                    "old subscribers reject items without it until upgraded",
                )  # fmt: skip
            continue
        if name in new_required:
            message = f"required property {name!r} added; old items lack it"
            yield versions.at_new(path, Impact.BREAKING, message, at_key=True)
        elif old_extra is False:
            message = f"optional property {name!r} added; {_UNKNOWN}"
            yield versions.at_new(path, Impact.SUBSCRIBERS_FIRST, message, at_key=True)
        else:
            message = f"optional property {name!r} added; old subscribers ignore it"
            yield versions.at_new(path, Impact.COMPATIBLE, message, at_key=True)
        if isinstance(old_extra, dict):
            # OLD let items carry this name as an extra property shaped by additionalProperties.
            yield from recurse(old.child("additionalProperties"), Node(schema, path))


def _removed(versions: Versions, old: Node, new: Node, recurse: Compare) -> Iterator[Finding]:
    new_properties = _properties(new.schema)
    old_required = set(_required(old.schema))
    new_extra = new.schema.get("additionalProperties")
    for name, schema in _properties(old.schema).items():
        if name in new_properties:
            continue
        path = (*old.path, "properties", name)
        if new_extra is False:
            message = (
                f"property {name!r} removed and unknown properties are forbidden; "
                "old items carrying it are rejected"
            )
            yield versions.at_old(path, Impact.BREAKING, message, at_key=True)
            continue
        if isinstance(new_extra, dict):
            yield from recurse(Node(schema, path), new.child("additionalProperties"))
        if name in old_required:
            message = (
                f"required property {name!r} removed; new subscribers ignore it, "
                "old subscribers reject items without it until upgraded"
            )
            yield versions.at_old(path, Impact.SUBSCRIBERS_FIRST, message, at_key=True)
        else:
            message = f"optional property {name!r} removed; new subscribers ignore it"
            yield versions.at_old(path, Impact.COMPATIBLE, message, at_key=True)


def _extras(versions: Versions, old: Node, new: Node, recurse: Compare) -> Iterator[Finding]:
    old_extra = old.schema.get("additionalProperties")
    new_extra = new.schema.get("additionalProperties")
    if old_extra == new_extra:
        return
    if new_extra is False:
        yield versions.at_new(
            (*new.path, "additionalProperties"), Impact.BREAKING,
            "unknown properties are now forbidden; old items carrying any are rejected",
        )  # fmt: skip
    elif old_extra is False:
        yield versions.at_old(
            (*old.path, "additionalProperties"), Impact.SUBSCRIBERS_FIRST,
            "unknown properties are now allowed; "
            "old subscribers reject items carrying any until upgraded",
        )  # fmt: skip
    elif isinstance(old_extra, dict) or isinstance(new_extra, dict):
        yield from recurse(old.child("additionalProperties"), new.child("additionalProperties"))
