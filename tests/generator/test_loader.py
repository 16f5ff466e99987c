"""The loader: positions of keys and values, every YAML-level problem with its location."""

from __future__ import annotations

from pathlib import Path

import pytest

from wstream_gen.loader import load, parse
from wstream_gen.problems import SchemaError

TEXT = """\
wstream: 1
name: orders
topics:
  order.status:
    payload:
      type: object
      properties:
        total: {type: integer, minimum: 0}
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse(text, "s.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_positions_of_keys_and_values() -> None:
    document = parse(TEXT, "s.yaml")
    assert document.data["topics"]["order.status"]["payload"]["type"] == "object"
    assert document.keys[("topics", "order.status")] == (4, 3)
    assert document.values[("topics", "order.status", "payload", "type")] == (6, 13)
    minimum = ("topics", "order.status", "payload", "properties", "total", "minimum")
    assert document.values[minimum] == (8, 41)
    assert str(document.problem(minimum, "too small")) == (
        "s.yaml:8:41: topics.order.status.payload.properties.total.minimum: too small"
    )


def test_problem_on_unknown_path_falls_back_to_parent() -> None:
    document = parse(TEXT, "s.yaml")
    problem = document.problem(("topics", "order.status", "payload", "nope"), "m")
    assert (problem.line, problem.column) == (6, 7)  # where the payload mapping starts


def test_every_duplicate_key_is_reported() -> None:
    assert _problems("a: 1\nb: {c: 1, c: 2}\na: 3\n") == [
        "s.yaml:2:11: b.c: duplicate key 'c' (first defined at line 2, column 5)",
        "s.yaml:3:1: a: duplicate key 'a' (first defined at line 1, column 1)",
    ]


def test_yaml_values_json_cannot_hold() -> None:
    assert _problems("a: 2024-01-02\nb: .inf\nc: !!binary aGk=\n") == [
        "s.yaml:1:4: a: '2024-01-02' reads as a YAML date, which JSON has not; quote it to "
        "make it a string",
        "s.yaml:2:4: b: '.inf' is not a finite number; JSON has no NaN or infinity",
        "s.yaml:3:4: c: 'aGk=' reads as a YAML bytes, which JSON has not; quote it to make it "
        "a string",
    ]


def test_syntax_error_location() -> None:
    assert _problems("a: [1, 2\nb: 3\n") == [
        "s.yaml:2:2: invalid YAML: expected ',' or ']', but got ':'"
    ]


def test_aliases_are_expanded() -> None:
    document = parse("base: &b {type: integer}\ncopy: *b\n", "s.yaml")
    assert document.data["copy"] == {"type": "integer"}


def test_load_names_the_file_as_given(tmp_path: Path) -> None:
    schema = tmp_path / "x.yaml"
    schema.write_text("a: 1\na: 2\n")
    with pytest.raises(SchemaError) as caught:
        load(schema, "given/x.yaml")
    assert (
        str(caught.value)
        == "given/x.yaml:2:1: a: duplicate key 'a' (first defined at line 1, column 1)"
    )


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(SchemaError) as caught:
        load(tmp_path, "dir.yaml")
    assert str(caught.value) == "dir.yaml:1:1: cannot read schema file: Is a directory"


def test_invalid_utf8(tmp_path: Path) -> None:
    schema = tmp_path / "x.yaml"
    schema.write_bytes(b"name: \xff\n")
    with pytest.raises(SchemaError) as caught:
        load(schema, "x.yaml")
    assert str(caught.value).startswith("x.yaml:1:1: cannot read schema file: 'utf-8' codec")
