"""Identifiers and class names derived from schema names."""

from __future__ import annotations

import pytest

from wstream import TypedStreamClient, TypedWorkflowStream
from wstream_gen.render import docstring, py_literal
from wstream_gen.spec.naming import (
    RESERVED_MEMBERS,
    derive_identifier,
    is_class_name,
    is_identifier,
    pascal_case,
)


@pytest.mark.parametrize(
    ("wire", "identifier"),
    [
        ("order.status", "order_status"),
        ("Order-Status", "order_status"),
        ("3d", "topic_3d"),
        ("class", "class_"),
        ("match", "match_"),
        ("café", "caf_"),
        ("a b/c", "a_b_c"),
    ],
)
def test_derive_identifier(wire: str, identifier: str) -> None:
    assert derive_identifier(wire) == identifier
    assert is_identifier(identifier)


@pytest.mark.parametrize(
    ("text", "name"),
    [("order_status", "OrderStatus"), ("TokenDelta", "TokenDelta"), ("final result", "FinalResult"),
     ("class_", "Class"), ("topic_3d", "Topic3d"), ("日本", "")],
)  # fmt: skip
def test_pascal_case(text: str, name: str) -> None:
    assert pascal_case(text) == name


def test_class_names() -> None:
    assert is_class_name("Money")
    assert not is_class_name("None")
    assert not is_class_name("money")
    assert not is_class_name("Mönéy")


@pytest.mark.parametrize(
    "text", ['"""', "'''", "\\", 'a"', "x\\", "\u2028", "\x00", '""""', "\\N{BULLET}", "é 😀"]
)
def test_rendered_literals_evaluate_back(text: str) -> None:
    assert eval(py_literal(text)) == text
    value = eval(docstring(f"start {text} end"))
    assert value == f"start {text} end"


def test_reserved_members_cover_the_generated_classes_bases() -> None:
    # A topic attribute must never shadow what the generated client or stream inherits.
    inherited = {
        name
        for base in (TypedStreamClient, TypedWorkflowStream)
        for name in vars(base)
        if not name.startswith("_")
    }
    assert inherited <= RESERVED_MEMBERS, inherited - RESERVED_MEMBERS
