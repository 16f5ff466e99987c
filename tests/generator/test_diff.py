"""wstream-gen diff: every rule on a pair of small schemas, exact lines and exit codes."""

# ruff: noqa: E501  (the expected output lines are compared whole)

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from wstream_gen.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "schema" / "examples").glob("*.yaml"))


@dataclass(frozen=True)
class Case:
    """OLD and NEW bodies (after ``wstream: 1`` and ``name: s`` unless they set the name)."""

    name: str
    old: str
    new: str
    status: int
    lines: list[str]
    args: tuple[str, ...] = field(default=())


def schema_text(body: str) -> str:
    return "wstream: 1\n" + ("" if body.startswith("name:") else "name: s\n") + body


CASES = [
    Case(
        "topic_removed",
        old=r"""topics:
  a: {payload: {type: string}}
  b: {payload: {type: integer}}
""",
        new=r"""topics:
  a: {payload: {type: string}}
""",
        status=1,
        lines=[
            "old.yaml:5:3: breaking: topic 'b' removed; old publishers still publish to it and no new subscriber reads those items (at topics.b)",
        ],
    ),
    Case(
        "topic_added",
        old=r"""topics:
  a: {payload: {type: string}}
""",
        new=r"""topics:
  a: {payload: {type: string}}
  b: {payload: {type: integer}}
""",
        status=0,
        lines=[
            "new.yaml:5:3: compatible: topic 'b' added; old subscribers do not subscribe to it (at topics.b)",
        ],
    ),
    Case(
        "wire_rename",
        old=r"""topics:
  order.status: {python_name: status, payload: {type: string}}
""",
        new=r"""topics:
  order.state: {python_name: status, payload: {type: string}}
""",
        status=1,
        lines=[
            "old.yaml:4:3: breaking: topic 'order.status' removed; old publishers still publish to it and no new subscriber reads those items (topic 'order.state' now has its Python name 'status': renaming a wire topic is breaking) (at topics.order.status)",
            "new.yaml:4:3: compatible: topic 'order.state' added; old subscribers do not subscribe to it (at topics.order.state)",
        ],
    ),
    Case(
        "type_changed",
        old=r"""topics:
  a: {payload: {type: string}}
""",
        new=r"""topics:
  a: {payload: {type: integer, minimum: 0}}
""",
        status=1,
        lines=[
            "new.yaml:4:23: breaking: type changed from string to integer; every old value is rejected (at topics.a.payload.type)",
        ],
    ),
    Case(
        "type_narrowed_widened",
        old=r"""topics:
  a: {payload: {type: [string, "null"]}}
  b: {payload: {type: integer}}
  c: {payload: {type: number}}
""",
        new=r"""topics:
  a: {payload: {type: string}}
  b: {payload: {type: number}}
  c: {payload: {type: integer}}
""",
        status=1,
        lines=[
            "new.yaml:4:23: breaking: type narrowed from string or null to string; old values that are null are rejected (at topics.a.payload.type)",
            "new.yaml:6:23: breaking: type narrowed from number to integer; old values that are non-integer numbers are rejected (at topics.c.payload.type)",
            "new.yaml:5:23: compatible: type widened from integer to number; old subscribers reject non-integer numbers until upgraded (at topics.b.payload.type)",
        ],
    ),
    Case(
        "required",
        old=r"""topics:
  a:
    payload:
      type: object
      properties: {x: {type: string}, y: {type: string}}
      required: [x]
""",
        new=r"""topics:
  a:
    payload:
      type: object
      properties: {x: {type: string}, y: {type: string}, z: {type: string}}
      required: [y, z]
""",
        status=1,
        lines=[
            "new.yaml:8:18: breaking: property 'y' is now required; old items may omit it (at topics.a.payload.required.0)",
            "new.yaml:7:58: breaking: required property 'z' added; old items lack it (at topics.a.payload.properties.z)",
            "old.yaml:8:18: compatible: property 'x' is no longer required; old subscribers reject items without it until upgraded (at topics.a.payload.required.0)",
        ],
    ),
    Case(
        "optional_added_removed",
        old=r"""topics:
  a:
    payload:
      type: object
      properties: {keep: {type: string}, gone: {type: string}, was_required: {type: string}}
      required: [was_required]
  closed:
    payload:
      type: object
      additionalProperties: false
      properties: {x: {type: string}}
""",
        new=r"""topics:
  a:
    payload:
      type: object
      properties: {keep: {type: string}, extra: {type: integer}}
  closed:
    payload:
      type: object
      additionalProperties: false
      properties: {x: {type: string}, note: {type: string}}
""",
        status=0,
        lines=[
            "new.yaml:7:42: compatible: optional property 'extra' added; old subscribers ignore it (at topics.a.payload.properties.extra)",
            "old.yaml:7:42: compatible: optional property 'gone' removed; new subscribers ignore it (at topics.a.payload.properties.gone)",
            "old.yaml:7:64: compatible: required property 'was_required' removed; new subscribers ignore it, old subscribers reject items without it until upgraded (at topics.a.payload.properties.was_required)",
            "new.yaml:12:39: compatible: optional property 'note' added; old subscribers forbid unknown properties and reject items carrying it until upgraded (at topics.closed.payload.properties.note)",
        ],
    ),
    Case(
        "removed_while_closed",
        old=r"""topics:
  a:
    payload:
      type: object
      properties: {x: {type: string}, y: {type: string}}
""",
        new=r"""topics:
  a:
    payload:
      type: object
      additionalProperties: false
      properties: {x: {type: string}}
""",
        status=1,
        lines=[
            "old.yaml:7:39: breaking: property 'y' removed and unknown properties are forbidden; old items carrying it are rejected (at topics.a.payload.properties.y)",
            "new.yaml:7:29: breaking: unknown properties are now forbidden; old items carrying any are rejected (at topics.a.payload.additionalProperties)",
        ],
    ),
    Case(
        "enums",
        old=r"""topics:
  state: {payload: {type: string, enum: [created, paid, shipped]}}
  free: {payload: {type: string}}
  closed: {payload: {type: string, enum: [a, b]}}
  kind: {payload: {const: search}}
  flag: {payload: {type: boolean}}
""",
        new=r"""topics:
  state: {payload: {type: string, enum: [created, shipped, cancelled]}}
  free: {payload: {type: string, enum: [x, y]}}
  closed: {payload: {type: string}}
  kind: {payload: {const: fetch}}
  flag: {payload: {enum: [true, false]}}
""",
        status=1,
        lines=[
            'new.yaml:4:41: breaking: enum value "paid" removed; old items may carry it (at topics.state.payload.enum)',
            'new.yaml:5:40: breaking: enum added: only "x", "y" accepted; old items may carry other values (at topics.free.payload.enum)',
            'new.yaml:7:27: breaking: const changed from "search" to "fetch"; old items carry "search" (at topics.kind.payload.const)',
            'new.yaml:4:41: compatible: enum value "cancelled" added; old subscribers reject it until upgraded (at topics.state.payload.enum)',
            'old.yaml:6:36: compatible: enum removed: values other than "a", "b" are now accepted; old subscribers reject them until upgraded (at topics.closed.payload.enum)',
        ],
    ),
    Case(
        "numbers",
        old=r"""topics:
  a: {payload: {type: integer, minimum: 0, maximum: 100}}
  b: {payload: {type: number}}
  c: {payload: {type: number, minimum: 0, exclusiveMaximum: 10}}
  d: {payload: {type: integer, multipleOf: 2}}
  e: {payload: {type: integer, multipleOf: 4}}
""",
        new=r"""topics:
  a: {payload: {type: integer, minimum: 1, maximum: 200}}
  b: {payload: {type: number, exclusiveMinimum: 0}}
  c: {payload: {type: number, exclusiveMinimum: 0, maximum: 10}}
  d: {payload: {type: integer, multipleOf: 4}}
  e: {payload: {type: integer, multipleOf: 2}}
""",
        status=1,
        lines=[
            "new.yaml:4:41: breaking: lower bound tightened from >= 0 to >= 1; old values may be below it (at topics.a.payload.minimum)",
            "new.yaml:5:49: breaking: lower bound > 0 added; old values may be below it (at topics.b.payload.exclusiveMinimum)",
            "new.yaml:6:49: breaking: lower bound tightened from >= 0 to > 0; old values may be below it (at topics.c.payload.exclusiveMinimum)",
            "new.yaml:7:44: breaking: multipleOf changed from 2 to 4; some old values are not multiples of it (at topics.d.payload.multipleOf)",
            "new.yaml:4:53: compatible: upper bound relaxed from <= 100 to <= 200; old subscribers reject the newly allowed values until upgraded (at topics.a.payload.maximum)",
            "new.yaml:6:61: compatible: upper bound relaxed from < 10 to <= 10; old subscribers reject the newly allowed values until upgraded (at topics.c.payload.maximum)",
            "new.yaml:8:44: compatible: multipleOf relaxed from 4 to 2; old subscribers reject the newly allowed values until upgraded (at topics.e.payload.multipleOf)",
        ],
    ),
    Case(
        "strings_and_arrays",
        old=r"""topics:
  text: {payload: {type: string, minLength: 1, maxLength: 10, pattern: "^[a-z]+$"}}
  stamp: {payload: {type: string, format: date-time}}
  ident: {payload: {type: string}}
  numbers: {payload: {type: array, items: {type: string}, maxItems: 5}}
""",
        new=r"""topics:
  text: {payload: {type: string, minLength: 1, maxLength: 5, pattern: "^[a-z0-9]+$"}}
  stamp: {payload: {type: string}}
  ident: {payload: {type: string, format: uuid, pattern: "^[0-9a-f-]+$"}}
  numbers: {payload: {type: array, items: {type: integer}, minItems: 1, maxItems: 5, uniqueItems: true}}
""",
        status=1,
        lines=[
            "new.yaml:4:59: breaking: maxLength tightened from 10 to 5; old values may be longer (at topics.text.payload.maxLength)",
            "new.yaml:4:71: breaking: pattern changed from '^[a-z]+$' to '^[a-z0-9]+$'; old values may not match it (at topics.text.payload.pattern)",
            "new.yaml:6:58: breaking: pattern '^[0-9a-f-]+$' added; old values may not match it (at topics.ident.payload.pattern)",
            "new.yaml:6:43: breaking: format 'uuid' added; old values may not match it (at topics.ident.payload.format)",
            "new.yaml:7:70: breaking: minItems 1 added; old lists may be shorter (at topics.numbers.payload.minItems)",
            "new.yaml:7:99: breaking: uniqueItems added; old lists with repeated items are rejected (at topics.numbers.payload.uniqueItems)",
            "new.yaml:7:50: breaking: type changed from string to integer; every old value is rejected (at topics.numbers.payload.items.type)",
            "old.yaml:5:35: compatible: format 'date-time' removed; old subscribers reject the newly allowed values until upgraded (at topics.stamp.payload.format)",
        ],
    ),
    Case(
        "unions",
        old=r"""models:
  Search: {type: object, properties: {q: {type: string}}, required: [q]}
  Fetch: {type: object, properties: {url: {type: string}}, required: [url]}
  Run: {type: object, properties: {code: {type: string}}, required: [code]}
topics:
  call:
    payload:
      oneOf:
        - {$ref: "#/models/Search"}
        - {$ref: "#/models/Fetch"}
""",
        new=r"""models:
  Search: {type: object, properties: {q: {type: string}, limit: {type: integer}}, required: [q]}
  Fetch: {type: object, properties: {url: {type: string}}, required: [url]}
  Run: {type: object, properties: {code: {type: string}}, required: [code]}
topics:
  call:
    payload:
      oneOf:
        - {$ref: "#/models/Search"}
        - {$ref: "#/models/Run"}
""",
        status=1,
        lines=[
            "old.yaml:12:11: breaking: variant 'Fetch' removed: no new variant accepts its items (at topics.call.payload.oneOf.1)",
            "new.yaml:12:11: compatible: variant 'Run' added; old subscribers reject its items until upgraded (at topics.call.payload.oneOf.1)",
            "new.yaml:4:58: compatible: optional property 'limit' added; old subscribers ignore it (at models.Search.properties.limit)",
        ],
    ),
    Case(
        "shared_model_once",
        old=r"""models:
  Money: {type: object, properties: {amount: {type: integer}}, required: [amount]}
topics:
  paid: {payload: {$ref: "#/models/Money"}}
  refunded: {payload: {type: object, properties: {money: {$ref: "#/models/Money"}}}}
""",
        new=r"""models:
  Money:
    type: object
    properties: {amount: {type: integer}, currency: {type: string}}
    required: [amount, currency]
topics:
  paid: {payload: {$ref: "#/models/Money"}}
  refunded: {payload: {type: object, properties: {money: {$ref: "#/models/Money"}}}}
""",
        status=1,
        lines=[
            "new.yaml:6:43: breaking: required property 'currency' added; old items lack it (at models.Money.properties.currency)",
        ],
    ),
    Case(
        "recursive_models",
        old=r"""models:
  Tree:
    type: object
    properties: {label: {type: string}, children: {type: array, items: {$ref: "#/models/Tree"}}}
    required: [label]
topics:
  tree: {payload: {$ref: "#/models/Tree"}}
""",
        new=r"""models:
  Node:
    type: object
    properties: {label: {type: string, maxLength: 10}, children: {type: array, items: {$ref: "#/models/Node"}}}
    required: [label]
topics:
  tree: {payload: {$ref: "#/models/Node"}}
""",
        status=1,
        lines=[
            "new.yaml:6:51: breaking: maxLength 10 added; old values may be longer (at models.Node.properties.label.maxLength)",
            "new.yaml:9:26: compatible: refers to model 'Node' instead of 'Tree' (at topics.tree.payload.$ref)",
            "new.yaml:6:94: compatible: refers to model 'Node' instead of 'Tree' (at models.Node.properties.children.items.$ref)",
        ],
    ),
    Case(
        "api_only",
        old=r"""name: s
description: Old words.
topics:
  a:
    description: Old words.
    payload:
      title: Alpha
      type: object
      properties: {n: {type: integer, default: 1, description: Old.}, m: {type: string}}
""",
        new=r"""name: s2
description: New words.
topics:
  a:
    description: New words.
    python_name: first
    deprecated: true
    payload:
      title: First
      type: object
      properties: {n: {type: integer, default: 2, description: New.}, m: {type: string, deprecated: true}}
""",
        status=0,
        lines=[
            "new.yaml:2:7: compatible: stream renamed from 's' to 's2': the generated package and classes are renamed (wire unchanged) (at name)",
            "new.yaml:7:18: compatible: Python name of topic 'a' changed from 'a' to 'first' (wire unchanged) (at topics.a.python_name)",
            "new.yaml:10:7: compatible: payload class of topic 'a' renamed from 'Alpha' to 'First' (wire unchanged) (at topics.a.payload)",
            "new.yaml:5:3: compatible: topic 'a' now deprecated: publishing warns (at topics.a)",
            "new.yaml:12:48: compatible: default changed from 1 to 2; new subscribers fill it in when an item omits the field (at topics.a.payload.properties.n.default)",
            "new.yaml:12:74: compatible: now deprecated (wire unchanged) (at topics.a.payload.properties.m)",
        ],
    ),
    Case(
        "nested_and_extras",
        old=r"""topics:
  a:
    payload:
      type: object
      properties:
        tags: {type: array}
        meta: {type: object, additionalProperties: {type: string}}
        opts: {type: object, additionalProperties: false, properties: {x: {type: string}}}
""",
        new=r"""topics:
  a:
    payload:
      type: object
      properties:
        tags: {type: array, items: {type: string}}
        meta: {type: object, additionalProperties: {type: string, maxLength: 3}}
        opts: {type: object, properties: {x: {type: string}}}
""",
        status=1,
        lines=[
            "new.yaml:8:43: breaking: type narrowed from any type to string; old values of other types are rejected (at topics.a.payload.properties.tags.items.type)",
            "new.yaml:9:78: breaking: maxLength 3 added; old values may be longer (at topics.a.payload.properties.meta.additionalProperties.maxLength)",
            "old.yaml:10:52: compatible: unknown properties are now allowed; old subscribers reject items carrying any until upgraded (at topics.a.payload.properties.opts.additionalProperties)",
        ],
    ),
    Case(
        "inline_variants",
        old=r"""topics:
  shape:
    payload:
      anyOf:
        - {type: object, properties: {r: {type: number}}, required: [r]}
        - {type: object, properties: {w: {type: number}, h: {type: number}}, required: [w, h]}
""",
        new=r"""topics:
  shape:
    payload:
      anyOf:
        - {type: object, properties: {r: {type: number, minimum: 0}}, required: [r]}
        - {type: object, properties: {w: {type: number}, h: {type: number}}, required: [w, h]}
        - {type: "null"}
""",
        status=1,
        lines=[
            "new.yaml:7:66: breaking: lower bound >= 0 added; old values may be below it (at topics.shape.payload.anyOf.0.properties.r.minimum)",
            "new.yaml:9:11: compatible: variant anyOf[2] added; old subscribers reject its items until upgraded (at topics.shape.payload.anyOf.2)",
        ],
    ),
    Case(
        "to_strict",
        old=r"""topics:
  a:
    payload:
      type: object
      properties: {x: {type: string}}
      required: [x]
""",
        new=r"""topics:
  a:
    payload:
      type: object
      properties: {x: {type: string}}
""",
        status=0,
        lines=[
            "old.yaml:8:18: compatible: property 'x' is no longer required; old subscribers reject items without it until upgraded (at topics.a.payload.required.0)",
        ],
    ),
    Case(
        "extract_model",
        old=r"""topics:
  paid:
    payload:
      type: object
      properties: {amount: {type: integer, minimum: 0}}
      required: [amount]
""",
        new=r"""models:
  Money:
    type: object
    properties: {amount: {type: integer, minimum: 0}}
    required: [amount]
topics:
  paid: {payload: {$ref: "#/models/Money"}}
""",
        status=0,
        lines=[
            "new.yaml:9:19: compatible: payload class of topic 'paid' renamed from 'Paid' to 'Money' (wire unchanged) (at topics.paid.payload)",
        ],
    ),
    Case(
        "model_of_a_removed_topic",
        old=r"""models:
  Note: {type: object, properties: {text: {type: string}}}
topics:
  a: {payload: {type: string}}
  b: {payload: {$ref: "#/models/Note"}}
""",
        new=r"""models:
  Note: {type: object, properties: {text: {type: integer}}}
topics:
  a: {payload: {type: string}}
""",
        status=1,
        lines=[
            "old.yaml:7:3: breaking: topic 'b' removed; old publishers still publish to it and no new subscriber reads those items (at topics.b)",
        ],
    ),
]


def run_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str, *args: str
) -> int:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.yaml").write_text(schema_text(old))
    (tmp_path / "new.yaml").write_text(schema_text(new))
    return main(["diff", *args, "old.yaml", "new.yaml"])


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = run_diff(tmp_path, monkeypatch, case.old, case.new, *case.args)
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == case.lines
    breaking = sum(": breaking: " in line for line in case.lines)
    assert (
        out[-1] == f"wstream-gen diff: {breaking} breaking, {len(case.lines) - breaking} compatible"
    )
    assert status == case.status == (1 if breaking else 0)


@pytest.mark.parametrize("side", ["old", "new"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_schema_against_itself_has_no_finding(
    case: Case,
    side: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    body = case.old if side == "old" else case.new
    assert run_diff(tmp_path, monkeypatch, body, body) == 0
    assert capsys.readouterr().out == (
        "wstream-gen diff: no changes that affect publishers, subscribers or the API\n"
    )


TO_STRICT = next(case for case in CASES if case.name == "to_strict")


def test_strict_fails_when_old_subscribers_would_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_diff(tmp_path, monkeypatch, TO_STRICT.old, TO_STRICT.new, "--strict") == 1
    assert capsys.readouterr().out.splitlines() == [
        "old.yaml:8:18: breaking: property 'x' is no longer required; old subscribers reject items without it until upgraded (at topics.a.payload.required.0)",
        "wstream-gen diff: 1 breaking, 0 compatible",
    ]


def test_invalid_schema_is_reported_like_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    new = "topics:\n  a: {payload: {$ref: '#/models/Nope'}}\n  b: {payload: {type: strin}}\n"
    assert run_diff(tmp_path, monkeypatch, "topics:\n  a: {payload: {type: string}}\n", new) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        "new.yaml:4:23: topics.a.payload.$ref: unknown model 'Nope' in $ref; the schema defines no models",
        "new.yaml:5:23: topics.b.payload.type: type 'strin' must be one of object, array, string, integer, number, boolean, null (or a list of them)",
        "wstream-gen diff: 2 problems; nothing done",
    ]


def test_missing_file_and_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "new.yaml").write_text(schema_text("topics:\n  a: {payload: {}}\n"))
    assert main(["diff", "gone.yaml", "new.yaml"]) == 2
    assert capsys.readouterr().err.splitlines()[0] == (
        "gone.yaml:1:1: cannot read schema file: No such file or directory"
    )
    with pytest.raises(SystemExit) as usage:
        main(["diff", "new.yaml"])
    assert usage.value.code == 2
    assert "the following arguments are required: NEW" in capsys.readouterr().err


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.stem for path in EXAMPLES])
def test_examples_against_themselves(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(example), str(example)]) == 0
    assert "no changes" in capsys.readouterr().out


def test_console_script_and_a_schema_named_diff(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    orders = (ROOT / "schema" / "examples" / "orders.yaml").read_text()
    (tmp_path / "old.yaml").write_text(orders)
    (tmp_path / "new.yaml").write_text(
        orders.replace("[created, paid, shipped]", "[created, paid]")
    )
    script = Path(sys.executable).with_name("wstream-gen")
    breaking = subprocess.run(
        [script, "diff", "old.yaml", "new.yaml"], capture_output=True, text=True
    )
    assert breaking.returncode == 1, breaking.stderr
    assert breaking.stdout.splitlines()[0] == (
        'new.yaml:21:37: breaking: enum value "shipped" removed; old items may carry it '
        "(at topics.order.status.payload.properties.state.enum)"
    )
    back = subprocess.run([script, "diff", "new.yaml", "old.yaml"], capture_output=True, text=True)
    assert back.returncode == 0, back.stdout
    # A schema file literally named `diff` still generates when written as a path.
    shutil.copy(tmp_path / "old.yaml", tmp_path / "diff")
    assert main(["./diff", "--out", "out"]) == 0
    assert (tmp_path / "out" / "orders" / "client.py").is_file()
