"""Rule family: numeric, string and array constraints (bounds, multipleOf, pattern, format)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.versions import Node, Versions

_WIDENED = "old subscribers reject the newly allowed values until upgraded"


@dataclass(frozen=True)
class _Bound:
    """One side of a range: a limit, whether it is exclusive, and the keyword that set it."""

    value: float
    exclusive: bool
    keyword: str

    def shown(self, lower: bool) -> str:
        if not self.keyword.endswith("imum"):
            return str(self.value)  # a length or a count: the keyword already says which way
        sign = (">" if lower else "<") + ("" if self.exclusive else "=")
        return f"{sign} {self.value}"


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _bound(schema: Mapping[str, Any], inclusive: str, exclusive: str, lower: bool) -> _Bound | None:
    found = [
        _Bound(value, keyword == exclusive, keyword)
        for keyword in (inclusive, exclusive)
        if (value := _number(schema.get(keyword))) is not None
    ]
    if not found:
        return None
    # With both keywords present the tighter one is the bound in force.
    return max(found, key=lambda b: _tightness(b, lower))


def _tightness(bound: _Bound, lower: bool) -> tuple[float, bool]:
    return (bound.value if lower else -bound.value, bound.exclusive)


@dataclass(frozen=True)
class _Range:
    """A bounded family: its keywords, its direction, and what a tighter bound rejects."""

    inclusive: str
    exclusive: str
    lower: bool
    name: str
    rejects: str


_RANGES = (
    _Range("minimum", "exclusiveMinimum", True, "lower bound", "old values may be below it"),
    _Range("maximum", "exclusiveMaximum", False, "upper bound", "old values may be above it"),
    _Range("minLength", "", True, "minLength", "old values may be shorter"),
    _Range("maxLength", "", False, "maxLength", "old values may be longer"),
    _Range("minItems", "", True, "minItems", "old lists may be shorter"),
    _Range("maxItems", "", False, "maxItems", "old lists may be longer"),
)


def compare(versions: Versions, old: Node, new: Node) -> list[Finding]:
    """Compare the constraints of two nodes.

    Args:
        versions: The two schema files.
        old: The OLD node.
        new: The NEW node.

    Returns:
        Breaking findings for tighter constraints, subscribers-first ones for looser.
    """
    findings: list[Finding] = []
    for bounded in _RANGES:
        findings.extend(_range(versions, old, new, bounded))
    findings.extend(_multiple_of(versions, old, new))
    for keyword in ("pattern", "format"):
        findings.extend(_text_rule(versions, old, new, keyword))
    findings.extend(_unique_items(versions, old, new))
    return findings


def _range(versions: Versions, old: Node, new: Node, bounded: _Range) -> Iterator[Finding]:
    lower, name, rejects = bounded.lower, bounded.name, bounded.rejects
    old_bound = _bound(old.schema, bounded.inclusive, bounded.exclusive, lower)
    new_bound = _bound(new.schema, bounded.inclusive, bounded.exclusive, lower)
    if old_bound is None and new_bound is None:
        return
    if new_bound is None:
        assert old_bound is not None
        yield versions.at_old(
            (*old.path, old_bound.keyword),
            Impact.SUBSCRIBERS_FIRST,
            f"{name} {old_bound.shown(lower)} removed; {_WIDENED}",
            at_key=True,
        )
        return
    where = (*new.path, new_bound.keyword)
    if old_bound is None:
        message = f"{name} {new_bound.shown(lower)} added; {rejects}"
        yield versions.at_new(where, Impact.BREAKING, message)
        return
    old_tight, new_tight = _tightness(old_bound, lower), _tightness(new_bound, lower)
    if old_tight == new_tight:
        return
    change = f"from {old_bound.shown(lower)} to {new_bound.shown(lower)}"
    if new_tight > old_tight:
        yield versions.at_new(where, Impact.BREAKING, f"{name} tightened {change}; {rejects}")
    else:
        yield versions.at_new(
            where, Impact.SUBSCRIBERS_FIRST, f"{name} relaxed {change}; {_WIDENED}"
        )


def _fraction(value: Any) -> Fraction | None:
    number = _number(value)
    return None if number is None else Fraction(str(number))


def _multiple_of(versions: Versions, old: Node, new: Node) -> Iterator[Finding]:
    old_step, new_step = (
        _fraction(old.schema.get("multipleOf")),
        _fraction(new.schema.get("multipleOf")),
    )
    if old_step == new_step:
        return
    if new_step is None:
        yield versions.at_old(
            (*old.path, "multipleOf"), Impact.SUBSCRIBERS_FIRST,
            f"multipleOf {old.schema['multipleOf']} removed; {_WIDENED}", at_key=True,
        )  # fmt: skip
        return
    where = (*new.path, "multipleOf")
    shown = new.schema["multipleOf"]
    if old_step is None:
        yield versions.at_new(
            where, Impact.BREAKING, f"multipleOf {shown} added; old values may not be multiples"
        )
    elif (old_step / new_step).denominator == 1:
        # Every multiple of the old step is a multiple of the new one: only new values appear.
        yield versions.at_new(
            where, Impact.SUBSCRIBERS_FIRST,
            f"multipleOf relaxed from {old.schema['multipleOf']} to {shown}; {_WIDENED}",
        )  # fmt: skip
    else:
        yield versions.at_new(
            where, Impact.BREAKING,
            f"multipleOf changed from {old.schema['multipleOf']} to {shown}; "
            "some old values are not multiples of it",
        )  # fmt: skip


def _text_rule(versions: Versions, old: Node, new: Node, keyword: str) -> Iterator[Finding]:
    old_value, new_value = old.schema.get(keyword), new.schema.get(keyword)
    if old_value == new_value:
        return
    if new_value is None:
        yield versions.at_old(
            (*old.path, keyword), Impact.SUBSCRIBERS_FIRST,
            f"{keyword} {old_value!r} removed; {_WIDENED}", at_key=True,
        )  # fmt: skip
        return
    where = (*new.path, keyword)
    if old_value is None:
        message = f"{keyword} {new_value!r} added; old values may not match it"
    else:
        # Two regular expressions (or formats) cannot be compared in general: any change
        # may reject an old value.
        message = (
            f"{keyword} changed from {old_value!r} to {new_value!r}; old values may not match it"
        )
    yield versions.at_new(where, Impact.BREAKING, message)


def _unique_items(versions: Versions, old: Node, new: Node) -> Iterator[Finding]:
    old_unique, new_unique = (
        old.schema.get("uniqueItems") is True,
        new.schema.get("uniqueItems") is True,
    )
    if new_unique and not old_unique:
        yield versions.at_new(
            (*new.path, "uniqueItems"), Impact.BREAKING,
            "uniqueItems added; old lists with repeated items are rejected",
        )  # fmt: skip
    elif old_unique and not new_unique:
        yield versions.at_old(
            (*old.path, "uniqueItems"), Impact.SUBSCRIBERS_FIRST,
            f"uniqueItems removed; {_WIDENED}", at_key=True,
        )  # fmt: skip
