"""Rule family: the closed value sets of ``enum`` and ``const``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.types import accepted_types
from wstream_gen.compat.versions import Node, Versions

#: Types whose every value can be listed; an enum covering them all restricts nothing.
_FINITE: Mapping[str, tuple[Any, ...]] = {"boolean": (True, False), "null": (None,)}


def _values(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    if isinstance(schema.get("enum"), list):
        members: list[Any] = schema["enum"]
    elif "const" in schema:
        members = [schema["const"]]
    else:
        return None
    # JSON text as the key keeps true and 1 apart, as JSON does.
    return {_shown(value): value for value in members}


def _shown(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _keyword(schema: Mapping[str, Any]) -> str:
    return "enum" if "enum" in schema else "const"


def _all_values(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    types = accepted_types(schema)
    if types is None or not types <= set(_FINITE):
        return None
    return {_shown(value): value for name in sorted(types) for value in _FINITE[name]}


def compare(versions: Versions, old: Node, new: Node) -> list[Finding]:
    """Compare the allowed values of two nodes.

    Args:
        versions: The two schema files.
        old: The OLD node.
        new: The NEW node.

    Returns:
        A breaking finding per value OLD allows and NEW does not, and a
        subscribers-first finding per value NEW adds.
    """
    old_values, new_values = _values(old.schema), _values(new.schema)
    if new_values is None:
        if old_values is None:
            return []
        shown = ", ".join(old_values)
        message = (
            f"{_keyword(old.schema)} removed: values other than {shown} are now accepted; "
            "old subscribers reject them until upgraded"
        )
        return [versions.at_old((*old.path, _keyword(old.schema)), Impact.SUBSCRIBERS_FIRST,
                                message, at_key=True)]  # fmt: skip
    keyword = _keyword(new.schema)
    where = (*new.path, keyword)
    if old_values is None:
        old_values = _all_values(old.schema)
        if old_values is None:
            shown = ", ".join(new_values)
            message = f"{keyword} added: only {shown} accepted; old items may carry other values"
            return [versions.at_new(where, Impact.BREAKING, message)]
    if "const" in old.schema and "const" in new.schema and old_values != new_values:
        (before,), (after,) = old_values, new_values
        message = f"const changed from {before} to {after}; old items carry {before}"
        return [versions.at_new(where, Impact.BREAKING, message)]
    findings = [
        versions.at_new(
            where, Impact.BREAKING, f"{keyword} value {key} removed; old items may carry it"
        )
        for key in old_values
        if key not in new_values
    ]
    findings.extend(
        versions.at_new(
            where,
            Impact.SUBSCRIBERS_FIRST,
            f"{keyword} value {key} added; old subscribers reject it until upgraded",
        )
        for key in new_values
        if key not in old_values
    )
    return findings
