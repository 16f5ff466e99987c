"""wstream-gen export --asyncapi: valid AsyncAPI 3.0.0 (official JSON Schema), same contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from wstream import wire
from wstream_gen.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "schema" / "examples").glob("*.yaml"))
OFFICIAL = ROOT / ".cache" / "asyncapi" / "package" / "schemas" / "3.0.0-without-$id.json"

# Every keyword of the format, a dotted and a slashed wire name, a deprecated topic, a
# recursive model, a ref payload shared by two topics and data that looks like a $ref.
STRESS = """\
wstream: 1
name: stress
models:
  Tree:
    type: object
    properties:
      label: {type: string, minLength: 1, maxLength: 20, pattern: "^[a-z]+$"}
      children:
        {type: array, items: {$ref: "#/models/Tree"}, minItems: 0, maxItems: 5, uniqueItems: true}
    required: [label]
    additionalProperties: false
  Money:
    type: object
    properties:
      amount: {type: integer, minimum: 0, exclusiveMaximum: 1000000, multipleOf: 5}
      note: {type: object, default: {$ref: "#/models/Money"}}
    additionalProperties: {type: string}
topics:
  tree/updated: {payload: {$ref: "#/models/Tree"}, description: A tree changed.}
  paid: {payload: {$ref: "#/models/Money"}}
  refunded: {payload: {$ref: "#/models/Money"}, deprecated: true}
  when.v2:
    python_name: when
    payload:
      title: When
      type: [string, "null"]
      format: date-time
      examples: ["2026-01-01T00:00:00Z"]
  choice:
    payload:
      oneOf:
        - {type: integer, enum: [1, 2, 3]}
        - {const: none}
        - {anyOf: [{type: boolean}, {type: number, exclusiveMaximum: 0, deprecated: true}]}
"""


@pytest.fixture(scope="module")
def official() -> Draft7Validator:
    if not OFFICIAL.is_file():
        pytest.fail(f"{OFFICIAL} is missing: run `make setup-test` (npm fetches @asyncapi/specs)")
    schema = json.loads(OFFICIAL.read_text(encoding="utf-8"))
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema"
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema)


def export(schema: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["export", "--asyncapi", str(schema), *args]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [
            ref for key, child in value.items() if key != "default" for ref in refs(child)
        ]
    if isinstance(value, list):
        return [ref for child in value for ref in refs(child)]
    return []


def pointer(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


@pytest.fixture
def stress(tmp_path: Path) -> Path:
    path = tmp_path / "stress.yaml"
    path.write_text(STRESS)
    return path


@pytest.mark.parametrize("name", ["orders", "agent", "stress"])
def test_valid_against_the_official_schema(
    name: str,
    official: Draft7Validator,
    stress: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = stress if name == "stress" else ROOT / "schema" / "examples" / f"{name}.yaml"
    document = export(schema, capsys)
    assert [error.message for error in official.iter_errors(document)] == []
    # The official schema does not check where references point: every one must resolve.
    for ref in refs(document):
        assert pointer(document, ref) is not None, ref
    assert not [ref for ref in refs(document) if ref.startswith("#/models/")]


def test_the_official_schema_rejects_a_broken_document(
    official: Draft7Validator, capsys: pytest.CaptureFixture[str]
) -> None:
    document = export(EXAMPLES[0], capsys)
    document["operations"]["publish_token"]["action"] = "publish"
    del document["info"]["version"]
    assert len(list(official.iter_errors(document))) == 2


def test_orders_channels_operations_messages(capsys: pytest.CaptureFixture[str]) -> None:
    document = export(
        ROOT / "schema" / "examples" / "orders.yaml", capsys, "--api-version", "2.1.0"
    )
    assert document["info"] == {
        "title": "orders",
        "version": "2.1.0",
        "description": "Events of the order pipeline.",
    }
    assert {key: channel["address"] for key, channel in document["channels"].items()} == {
        "progress": "progress",
        "status": "order.status",
        "tokens": "tokens",
    }
    assert document["operations"]["publish_status"] == {
        "action": "send",
        "summary": "Publish an item to topic 'order.status'.",
        "channel": {"$ref": "#/channels/status"},
        "messages": [{"$ref": "#/channels/status/messages/status"}],
    }
    assert document["operations"]["subscribe_status"]["action"] == "receive"
    assert list(document["operations"]) == sorted(document["operations"])
    assert document["components"]["messages"]["tokens"] == {
        "name": "tokens",
        "title": "Tokens",
        "contentType": "application/json",
        "payload": {"$ref": "#/components/schemas/Tokens"},
        "summary": "Free-text log lines; superseded by order.status.",
        "deprecated": True,
    }
    status = document["components"]["schemas"]["Status"]
    assert status["properties"]["total"] == {"$ref": "#/components/schemas/Money"}
    assert list(status["properties"]) == ["order_id", "state", "total"]  # file order kept
    assert document["x-wstream"]["publishSignal"] == wire.PUBLISH_SIGNAL
    assert document["x-wstream"]["pollUpdate"] == wire.POLL_HANDLER
    assert document["x-wstream"]["offsetQuery"] == wire.OFFSET_QUERY


def test_payload_schemas_accept_and_reject_what_the_generator_does(
    stress: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = export(stress, capsys)

    def validator(message: str) -> Draft7Validator:
        payload = document["components"]["messages"][message]["payload"]
        return Draft7Validator({**payload, "components": document["components"]})

    tree = validator("tree_updated")
    assert tree.is_valid({"label": "root", "children": [{"label": "leaf", "children": []}]})
    assert not tree.is_valid({"label": "root", "children": [{"label": "LEAF"}]})
    assert not tree.is_valid({"label": "root", "extra": 1})
    paid = validator("paid")
    assert paid.is_valid({"amount": 995, "memo": "x"})
    assert not paid.is_valid({"amount": 996})
    assert not paid.is_valid({"amount": 5, "memo": 1})
    choice = validator("choice")
    assert [choice.is_valid(value) for value in (2, 4, "none", True, -0.5, 0.5)] == [
        True, False, True, True, True, False,
    ]  # fmt: skip
    money = document["components"]["schemas"]["Money"]
    assert money["properties"]["note"]["default"] == {"$ref": "#/models/Money"}  # data, kept


def test_yaml_file_json_file_and_determinism(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    agent = str(ROOT / "schema" / "examples" / "agent.yaml")
    first = export(Path(agent), capsys)
    assert export(Path(agent), capsys) == first
    assert main(["export", "--asyncapi", agent, "-o", "agent.yml"]) == 0
    assert main(["export", "--asyncapi", agent, "-o", "agent.json"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "wstream-gen export: AsyncAPI 'agent' written to agent.yml",
        "wstream-gen export: AsyncAPI 'agent' written to agent.json",
    ]
    assert YAML(typ="safe", pure=True).load((tmp_path / "agent.yml").read_text()) == first
    text = (tmp_path / "agent.yml").read_text()
    assert text.startswith("asyncapi: 3.0.0\nid: urn:wstream:agent\n")
    assert "&id" not in text and "*id" not in text  # no anchors or aliases
    assert json.loads((tmp_path / "agent.json").read_text()) == first
    assert main(["export", "--asyncapi", agent, "--format", "yaml"]) == 0
    assert capsys.readouterr().out == (tmp_path / "agent.yml").read_text()


def test_version_is_a_fingerprint_of_the_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = (ROOT / "schema" / "examples" / "orders.yaml").read_text()
    (tmp_path / "a.yaml").write_text(orders)
    (tmp_path / "b.yaml").write_text("# a comment only\n" + orders)
    (tmp_path / "c.yaml").write_text(orders.replace("maximum: 100", "maximum: 99"))
    versions = [export(tmp_path / f"{name}.yaml", capsys)["info"]["version"] for name in "abc"]
    assert versions[0] == versions[1] != versions[2]
    assert versions[0].startswith("sha256:") and len(versions[0]) == len("sha256:") + 12


def test_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("wstream: 1\nname: bad\ntopics: {}\n")
    assert main(["export", "--asyncapi", "bad.yaml"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "bad.yaml:3:9: topics: a stream needs at least one topic",
        "wstream-gen export: 1 problem; nothing done",
    ]
    orders = str(ROOT / "schema" / "examples" / "orders.yaml")
    assert main(["export", "--asyncapi", orders, "-o", "orders.txt"]) == 2
    assert "cannot tell the format of 'orders.txt'" in capsys.readouterr().err
    assert main(["export", "--asyncapi", orders, "-o", "missing/dir/orders.json"]) == 2
    assert "cannot write missing/dir/orders.json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["export", orders])
    assert usage.value.code == 2
    assert "--asyncapi" in capsys.readouterr().err
