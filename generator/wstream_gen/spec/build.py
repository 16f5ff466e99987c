"""Build a :class:`StreamSpec` from a validated document, reporting every naming problem."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from wstream_gen.loader import Document
from wstream_gen.problems import DocPath, Problem, SchemaError
from wstream_gen.spec.checks import check_schema, ref_target, walk
from wstream_gen.spec.naming import (
    RESERVED_CLASSES,
    RESERVED_MEMBERS,
    derive_identifier,
    is_class_name,
    is_identifier,
    pascal_case,
)
from wstream_gen.spec.stream import ModelSpec, StreamSpec
from wstream_gen.spec.topic import TopicSpec
from wstream_gen.validate import check_format

_REF_ONLY_KEYS = frozenset({"$ref", "description", "title"})


def build_spec(document: Document, package: str | None = None) -> StreamSpec:
    """Validate a document and turn it into the typed spec the templates render.

    Format problems and semantic problems (naming, references, cycles, patterns, defaults)
    are collected together, so one run lists everything; where a part of the document is
    malformed, the semantic checks skip that part.

    Args:
        document: The parsed schema file.
        package: Generate this package instead of the schema's ``name``.

    Returns:
        The stream spec.

    Raises:
        SchemaError: With every problem found in the document.
    """
    problems = check_format(document)
    data: dict[str, Any] = document.data if isinstance(document.data, dict) else {}
    models = _mapping(data.get("models"))
    raw_name = data.get("name")
    name = raw_name if isinstance(raw_name, str) and raw_name else "stream"
    semantic = list(_check_names(document, name, package, models))
    for model, schema in models.items():
        semantic.extend(check_schema(document, schema, ("models", model), models))
    semantic.extend(_check_cycles(document, models))
    topics: list[TopicSpec] = []
    for wire_name, topic in _mapping(data.get("topics")).items():
        if (
            not wire_name
            or not isinstance(topic, dict)
            or not isinstance(topic.get("payload"), dict)
        ):
            continue
        path: DocPath = ("topics", wire_name)
        semantic.extend(check_schema(document, topic["payload"], (*path, "payload"), models))
        topics.append(_topic(wire_name, topic, path))
    prefix = pascal_case(name)
    description = data.get("description")
    spec = StreamSpec(
        source=document.file,
        name=name,
        package=package or name,
        description=description if isinstance(description, str) else "",
        models=tuple(ModelSpec(model, schema) for model, schema in models.items()),
        topics=tuple(topics),
        client_class=f"{prefix}Client",
        stream_class=f"{prefix}Stream",
        item_alias=f"{prefix}Item",
    )
    semantic.extend(_check_topics(document, spec))
    # A part the format already rejected gets no second, derived message.
    rejected = {problem.path for problem in problems}
    problems.extend(problem for problem in semantic if problem.path not in rejected)
    if problems:
        raise SchemaError(problems)
    return spec


def _mapping(value: Any) -> dict[str, Any]:
    return (
        {k: v for k, v in value.items() if isinstance(v, dict)} if isinstance(value, dict) else {}
    )


def _check_names(
    document: Document, name: str, package: str | None, models: Mapping[str, Any]
) -> Iterator[Problem]:
    if not is_identifier(name):
        yield document.problem(("name",), f"stream name {name!r} is a Python keyword")
    if package is not None and not all(is_identifier(part) for part in package.split(".")):
        yield document.problem(
            ("name",), f"package name {package!r} (from --package) is not a valid module path"
        )
    for model in models:
        if not is_class_name(model) or model in RESERVED_CLASSES:
            yield document.problem(
                ("models", model),
                f"model name {model!r} is reserved by the generated code; rename the model",
                at_key=True,
            )


def _topic(wire_name: str, topic: Mapping[str, Any], path: DocPath) -> TopicSpec:
    explicit = topic.get("python_name")
    identifier = explicit if isinstance(explicit, str) else derive_identifier(wire_name)
    payload: dict[str, Any] = topic["payload"]
    target = ref_target(payload)
    if target is not None and set(payload) <= _REF_ONLY_KEYS:
        payload_class, defines_class = target, False
    else:
        title = payload.get("title")
        payload_class = pascal_case(title) if isinstance(title, str) else pascal_case(identifier)
        defines_class = True
    return TopicSpec(
        wire_name=wire_name,
        identifier=identifier,
        payload_class=payload_class,
        defines_class=defines_class,
        item_class=f"{pascal_case(identifier)}Item",
        description=topic["description"] if isinstance(topic.get("description"), str) else "",
        deprecated=topic.get("deprecated") is True,
        payload=payload,
        path=path,
    )


def _check_topics(document: Document, spec: StreamSpec) -> Iterator[Problem]:
    owners: dict[str, tuple[str, DocPath]] = {}
    for model in spec.models:
        owners[model.name] = (f"model {model.name!r}", ("models", model.name))
    for reserved in (spec.client_class, spec.stream_class, spec.item_alias):
        owners.setdefault(reserved, ("the generated code", ("name",)))
    identifiers: dict[str, str] = {}
    for topic in spec.topics:
        naming = list(_check_identifier(document, topic, identifiers))
        identifiers.setdefault(topic.identifier, topic.wire_name)
        if naming:  # the class names derive from the identifier: one message is enough
            yield from naming
            continue
        names = [(topic.item_class, topic.path, "item class")]
        if topic.defines_class:
            names.insert(0, (topic.payload_class, (*topic.path, "payload"), "payload class"))
            if not is_class_name(topic.payload_class) or topic.payload_class in RESERVED_CLASSES:
                yield document.problem(
                    (*topic.path, "payload", "title") if "title" in topic.payload else topic.path,
                    f"cannot make a class name of {topic.payload_class or topic.wire_name!r} "
                    f"for the payload of topic {topic.wire_name!r}; set a PascalCase payload title",
                    at_key="title" not in topic.payload,
                )
                continue
        for class_name, where, what in names:
            owner = owners.get(class_name)
            if owner is not None:
                yield document.problem(
                    where,
                    f"{what} {class_name!r} of topic {topic.wire_name!r} collides with "
                    f"{owner[0]}; set a different python_name or payload title",
                    at_key=where == topic.path,
                )
            else:
                owners[class_name] = (f"the {what} of topic {topic.wire_name!r}", where)


def _check_identifier(
    document: Document, topic: TopicSpec, seen: Mapping[str, str]
) -> Iterator[Problem]:
    explicit = isinstance(document.data["topics"][topic.wire_name].get("python_name"), str)
    where: DocPath = (*topic.path, "python_name") if explicit else topic.path
    source = "python_name" if explicit else "derived Python name"
    if not is_identifier(topic.identifier) or topic.identifier.startswith("_"):
        reason = "is a Python keyword" if explicit else "starts with an underscore; set python_name"
        yield document.problem(
            where, f"{source} {topic.identifier!r} {reason}", at_key=not explicit
        )
    elif topic.identifier in RESERVED_MEMBERS:
        yield document.problem(
            where,
            f"{source} {topic.identifier!r} is a method of the generated classes; "
            "set a different python_name",
            at_key=not explicit,
        )
    elif topic.identifier in seen:
        yield document.problem(
            where,
            f"{source} {topic.identifier!r} collides with topic "
            f"{seen[topic.identifier]!r}; set a different python_name",
            at_key=not explicit,
        )


def _check_cycles(document: Document, models: Mapping[str, Any]) -> Iterator[Problem]:
    """Report cycles of non-object models: those cannot be written as Python classes."""
    edges: dict[str, list[str]] = {}
    for name, schema in models.items():
        if _is_object(schema):
            continue
        edges[name] = [
            target
            for _, node in walk(schema, ())
            if (target := ref_target(node)) is not None and target in models
        ]
    reported: set[frozenset[str]] = set()
    for start in edges:
        cycle = _find_cycle(start, edges)
        if cycle is not None and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            chain = " -> ".join([*cycle, cycle[0]])
            yield document.problem(
                ("models", cycle[0]),
                f"models reference each other in a cycle without an object in between "
                f"({chain}); make one of them `type: object`",
                at_key=True,
            )


def _is_object(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and (schema.get("type") == "object" or "properties" in schema)
        and ref_target(schema) is None
    )


def _find_cycle(start: str, edges: Mapping[str, list[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    visited: set[str] = set()
    while stack:
        node, trail = stack.pop()
        for target in edges.get(node, []):
            if target == start:
                return trail
            if target not in visited and target in edges:
                visited.add(target)
                stack.append((target, [*trail, target]))
    return None
