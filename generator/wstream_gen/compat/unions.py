"""Rule family: ``oneOf``/``anyOf`` unions, matched variant by variant."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.types import accepted_types
from wstream_gen.compat.versions import Compare, Node, Versions
from wstream_gen.spec.checks import ref_target

_UNIONS = ("oneOf", "anyOf")


def union_keyword(schema: Mapping[str, Any]) -> str | None:
    """Name the union keyword of a schema.

    Args:
        schema: A (sub)schema.

    Returns:
        ``oneOf`` or ``anyOf`` when the schema is a union, else None.
    """
    return next((key for key in _UNIONS if isinstance(schema.get(key), list)), None)


def alternatives(node: Node) -> list[Node]:
    """Split a node into the alternatives it accepts.

    A union's variants each carry the keywords written next to the union (``type``,
    ``description``); any other node is its own single alternative.

    Args:
        node: A (sub)schema.

    Returns:
        One node per alternative.
    """
    keyword = union_keyword(node.schema)
    if keyword is None:
        return [node]
    shared = {key: value for key, value in node.schema.items() if key not in _UNIONS}
    return [
        Node({**shared, **variant}, (*node.path, keyword, index))
        for index, variant in enumerate(node.schema[keyword])
        if isinstance(variant, dict)
    ]


def _label(node: Node) -> str:
    target = ref_target(node.schema)
    if target is not None:
        return f"variant {target!r}"
    title = node.schema.get("title")
    if isinstance(title, str):
        return f"variant {title!r}"
    if len(node.path) >= 2 and isinstance(node.path[-1], int):
        return f"variant {node.path[-2]}[{node.path[-1]}]"
    return "the schema"


def _breaks(findings: Sequence[Finding]) -> bool:
    return any(finding.impact is Impact.BREAKING for finding in findings)


def _counterpart(
    versions: Versions, index: int, old: Node, news: Sequence[Node], trials: Sequence[list[Finding]]
) -> int | None:
    """Find the NEW variant an OLD one most likely became, when none accepts all its values.

    The variant with the same model, else the variant of an overlapping type with the fewest
    breaking findings (the nearest position on a tie). A variant swapped for another model,
    or for a disjoint type, is a removal plus an addition, not an edit.
    """
    target = ref_target(old.schema)
    for position, new in enumerate(news):
        if target is not None and ref_target(new.schema) == target:
            return position
    old_types = accepted_types(versions.resolve_old(old).schema)
    candidates = []
    for position, new in enumerate(news):
        if target is not None and ref_target(new.schema) is not None:
            continue
        new_types = accepted_types(versions.resolve_new(new).schema)
        if old_types is not None and new_types is not None and not old_types & new_types:
            continue
        breaking = sum(finding.impact is Impact.BREAKING for finding in trials[position])
        candidates.append((breaking, abs(position - index), position))
    return min(candidates)[2] if candidates else None


def compare(versions: Versions, old: Node, new: Node, recurse: Compare) -> list[Finding]:
    """Compare two nodes of which at least one is a union.

    Every OLD alternative must be accepted by some NEW alternative (else old items of that
    shape are rejected: breaking); a NEW alternative no OLD one maps to is an addition that
    old subscribers reject. The changes inside each matched pair are reported as well.

    Args:
        versions: The two schema files.
        old: The OLD node.
        new: The NEW node.
        recurse: Compares two subschemas.

    Returns:
        The findings.
    """
    olds, news = alternatives(old), alternatives(new)
    findings: list[Finding] = []
    used: set[int] = set()
    for index, old_variant in enumerate(olds):
        trials = [recurse(old_variant, new_variant) for new_variant in news]
        accepting = [position for position, trial in enumerate(trials) if not _breaks(trial)]
        if accepting:
            # The variant this one became: one not yet matched, changed least, nearest.
            chosen = min(
                accepting,
                key=lambda p: (p in used, len(trials[p]), abs(p - index)),
            )
        elif (counterpart := _counterpart(versions, index, old_variant, news, trials)) is not None:
            chosen = counterpart
        else:
            findings.append(
                versions.at_old(
                    old_variant.path,
                    Impact.BREAKING,
                    f"{_label(old_variant)} removed: no new variant accepts its items",
                )
            )
            continue
        used.add(chosen)
        findings.extend(trials[chosen])
    if len(news) > 1:
        findings.extend(
            versions.at_new(
                new_variant.path,
                Impact.SUBSCRIBERS_FIRST,
                f"{_label(new_variant)} added; old subscribers reject its items until upgraded",
            )
            for position, new_variant in enumerate(news)
            if position not in used
        )
    return findings
