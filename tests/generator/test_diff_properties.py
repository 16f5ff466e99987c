"""Property tests of wstream-gen diff: what it calls compatible really is, on random schemas.

OLD is a random payload schema and NEW a random edit of it. Values generated from one side
(declared properties only: extra undeclared properties are the documented exception) are
checked with a JSON Schema validator against the other side:

- no breaking finding  => every OLD value is accepted by NEW (old publishers, the log);
- no breaking and no subscribers-first finding => every NEW value is accepted by OLD.

``oneOf`` is validated as ``anyOf``, as the generated Pydantic unions accept a value that
matches any variant (the README notes that diff does not detect variants made to overlap).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from wstream_gen.compat import Impact, Versions, compare_streams
from wstream_gen.loader import parse
from wstream_gen.problems import SchemaError
from wstream_gen.spec import build_spec

NAMES = ("p", "q", "r")
WORDS = ("a", "b", "c", "d")

LEAVES = st.one_of(
    st.builds(
        lambda low, span: {"type": "integer", "minimum": low, "maximum": low + span},
        st.integers(-3, 3),
        st.integers(0, 6),
    ),
    st.builds(lambda low: {"type": "number", "exclusiveMinimum": low}, st.integers(-2, 2)),
    st.builds(
        lambda step: {"type": "integer", "multipleOf": step}, st.sampled_from([1, 2, 3, 4, 6])
    ),
    st.builds(
        lambda low, span: {"type": "string", "minLength": low, "maxLength": low + span},
        st.integers(0, 2),
        st.integers(0, 3),
    ),
    st.builds(
        lambda values: {"type": "string", "enum": values},
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=3, unique=True),
    ),
    st.just({"type": ["string", "null"]}),
    st.just({"type": "boolean"}),
    st.sampled_from(
        [{"const": "a"}, {"const": 1}, {"type": "number"}, {"type": "string", "pattern": "^a+$"}]
    ),
)


def _composites(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def objects(draw: st.DrawFn) -> dict[str, Any]:
        names = draw(st.lists(st.sampled_from(NAMES), max_size=3, unique=True))
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: draw(children) for name in names},
        }
        required = [name for name in names if draw(st.booleans())]
        if required:
            schema["required"] = required
        if draw(st.booleans()):
            schema["additionalProperties"] = False
        return schema

    arrays = st.builds(
        lambda items, most: {"type": "array", "items": items, "maxItems": most},
        children,
        st.integers(0, 3),
    )
    unions = st.builds(lambda a, b: {"oneOf": [a, b]}, children, children)
    return st.one_of(objects(), arrays, unions)


PAYLOADS = st.recursive(LEAVES, _composites, max_leaves=6)


def _nodes(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema]
    for child in schema.get("properties", {}).values():
        found.extend(_nodes(child))
    if isinstance(schema.get("items"), dict):
        found.extend(_nodes(schema["items"]))
    for child in schema.get("oneOf", []):
        found.extend(_nodes(child))
    return found


@st.composite
def edited(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    """Apply one to three random edits, the kind a schema sees between releases."""
    new = copy.deepcopy(schema)
    edits = draw(st.integers(1, 3))
    # An edit that does not apply to the drawn node changes nothing: draw another.
    for _ in range(12):
        if edits == 0 and new != schema:
            break
        edits = max(edits - 1, 0)
        node = draw(st.sampled_from(_nodes(new)))
        bounds = [
            key
            for key in node
            if key
            in (
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "minLength",
                "maxLength",
                "maxItems",
                "multipleOf",
            )
        ]
        edit = draw(
            st.sampled_from(
                ["bound", "drop", "enum", "property", "required", "closed", "type", "replace"]
            )
        )
        if edit == "bound" and bounds:
            key = draw(st.sampled_from(bounds))
            node[key] = max(
                1 if key == "multipleOf" else 0 if "Length" in key or "Items" in key else -9,
                node[key] + draw(st.sampled_from([-2, -1, 1, 2])),
            )
        elif edit == "drop" and bounds:
            del node[draw(st.sampled_from(bounds))]
        elif edit == "enum" and "enum" in node:
            values = set(node["enum"]) ^ {draw(st.sampled_from(WORDS))}
            node["enum"] = sorted(values) or ["a"]
        elif edit == "property" and "properties" in node:
            name = draw(st.sampled_from(NAMES))
            if name in node["properties"]:
                del node["properties"][name]
                node["required"] = [n for n in node.get("required", []) if n != name]
            else:
                node["properties"][name] = draw(LEAVES)
                if draw(st.booleans()):
                    node["required"] = [*node.get("required", []), name]
            if not node.get("required"):
                node.pop("required", None)
        elif edit == "required" and node.get("properties"):
            name = draw(st.sampled_from(sorted(node["properties"])))
            required = node.get("required", [])
            node["required"] = (
                [n for n in required if n != name] if name in required else [*required, name]
            )
            if not node["required"]:
                del node["required"]
        elif edit == "closed" and node.get("type") == "object":
            if node.pop("additionalProperties", None) is None:
                node["additionalProperties"] = False
        elif (
            edit == "type"
            and isinstance(node.get("type"), str)
            and node["type"] in ("integer", "number", "string")
        ):
            node["type"] = draw(
                st.sampled_from([["integer", "null"], "number", "integer", ["string", "null"]])
            )
        elif edit == "replace":
            node.clear()
            node.update(draw(LEAVES))
    return new


_BY_TYPE: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(-12, 12),
    "number": st.one_of(st.integers(-12, 12), st.sampled_from([0.5, -1.5, 2.25, 0.0])),
    "string": st.text("ab", max_size=6),
    "boolean": st.booleans(),
    "null": st.none(),
}


def _values(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values shaped by a schema (declared properties only), mostly valid, some not."""
    if "oneOf" in schema:
        return st.one_of(*(_values(child) for child in schema["oneOf"]))
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from([*schema["enum"], "zz"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: _values(child) for name, child in properties.items() if name in required},
            optional={
                name: _values(child) for name, child in properties.items() if name not in required
            },
        )
    if kind == "array":
        return st.lists(_values(schema.get("items", {})), max_size=4)
    if "multipleOf" in schema:
        return st.integers(-4, 4).map(lambda k: k * schema["multipleOf"])
    kinds = [kind] if isinstance(kind, str) else kind or list(_BY_TYPE)
    return st.one_of(*(_BY_TYPE[name] for name in kinds))


def _diff(old: dict[str, Any], new: dict[str, Any]) -> set[Impact]:
    documents = []
    for side, payload in (("old", old), ("new", new)):
        text = json.dumps({"wstream": 1, "name": "s", "topics": {"t": {"payload": payload}}})
        documents.append(parse(text, f"{side}.yaml"))
    try:
        specs = [build_spec(document) for document in documents]
    except SchemaError:
        assume(False)  # an edit made the schema invalid (e.g. minimum above maximum)
        raise
    findings = compare_streams(Versions(*documents), *specs)
    return {finding.impact for finding in findings}


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(json.loads(json.dumps(schema).replace('"oneOf"', '"anyOf"')))


SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@SETTINGS
@given(data=st.data(), old=PAYLOADS)
def test_compatible_means_accepted(data: st.DataObject, old: dict[str, Any]) -> None:
    new = data.draw(edited(old))
    impacts = _diff(old, new)
    event(f"impacts: {sorted(impact.value for impact in impacts)}")
    old_check, new_check = _validator(old), _validator(new)
    if Impact.BREAKING not in impacts:
        values = [v for v in data.draw(st.lists(_values(old), max_size=8)) if old_check.is_valid(v)]
        event(f"old values checked: {min(len(values), 3)}+")
        for value in values:
            assert new_check.is_valid(value), f"NEW rejects an OLD value: {value!r}"
    if not impacts & {Impact.BREAKING, Impact.SUBSCRIBERS_FIRST}:
        values = [v for v in data.draw(st.lists(_values(new), max_size=8)) if new_check.is_valid(v)]
        event(f"new values checked: {min(len(values), 3)}+")
        for value in values:
            assert old_check.is_valid(value), f"OLD rejects a NEW value: {value!r}"


@SETTINGS
@given(schema=PAYLOADS)
def test_a_schema_against_itself_has_no_finding(schema: dict[str, Any]) -> None:
    assert _diff(schema, copy.deepcopy(schema)) == set()
