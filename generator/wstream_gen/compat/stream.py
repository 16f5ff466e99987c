"""Rule family: the stream as a whole (topics added, removed, renamed in Python; models)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.schema import SchemaComparer
from wstream_gen.compat.versions import Node, Versions
from wstream_gen.spec import StreamSpec, TopicSpec
from wstream_gen.spec.checks import ref_target, walk


def compare_streams(versions: Versions, old: StreamSpec, new: StreamSpec) -> list[Finding]:
    """Compare two versions of a stream.

    Args:
        versions: The two schema files.
        old: The spec built from OLD.
        new: The spec built from NEW.

    Returns:
        Every finding, topics in OLD's file order, then the models that topics of both
        versions use (a model only a removed topic used is not compared).
    """
    findings: list[Finding] = []
    comparer = SchemaComparer(versions)
    if old.name != new.name:
        findings.append(
            versions.at_new(
                ("name",), Impact.API,
                f"stream renamed from {old.name!r} to {new.name!r}: the generated package "
                "and classes are renamed (wire unchanged)",
            )
        )  # fmt: skip
    new_topics = {topic.wire_name: topic for topic in new.topics}
    old_topics = {topic.wire_name: topic for topic in old.topics}
    for topic in old.topics:
        if topic.wire_name in new_topics:
            findings.extend(_topic(versions, comparer, topic, new_topics[topic.wire_name]))
        else:
            findings.append(_removed(versions, topic, new))
    for topic in new.topics:
        if topic.wire_name not in old_topics:
            findings.append(
                versions.at_new(
                    topic.path, Impact.COMPATIBLE,
                    f"topic {topic.wire_name!r} added; old subscribers do not subscribe to it",
                    at_key=True,
                )
            )  # fmt: skip
    kept = [topic for topic in old.topics if topic.wire_name in new_topics]
    findings.extend(_models(versions, comparer, kept))
    return findings


def _removed(versions: Versions, topic: TopicSpec, new: StreamSpec) -> Finding:
    message = (
        f"topic {topic.wire_name!r} removed; old publishers still publish to it "
        "and no new subscriber reads those items"
    )
    heir = next((t for t in new.topics if t.identifier == topic.identifier), None)
    if heir is not None:
        message += (
            f" (topic {heir.wire_name!r} now has its Python name {topic.identifier!r}: "
            "renaming a wire topic is breaking)"
        )
    return versions.at_old(topic.path, Impact.BREAKING, message, at_key=True)


def _topic(
    versions: Versions, comparer: SchemaComparer, old: TopicSpec, new: TopicSpec
) -> Iterator[Finding]:
    name = repr(new.wire_name)
    if old.identifier != new.identifier:
        where = (
            (*new.path, "python_name") if _has(versions.new.data, new, "python_name") else new.path
        )
        yield versions.at_new(
            where, Impact.API,
            f"Python name of topic {name} changed from {old.identifier!r} to "
            f"{new.identifier!r} (wire unchanged)",
            at_key=where == new.path,
        )  # fmt: skip
    # Between two refs the swap of models is reported where the $ref changed.
    if old.payload_class != new.payload_class and (old.defines_class or new.defines_class):
        yield versions.at_new(
            (*new.path, "payload"), Impact.API,
            f"payload class of topic {name} renamed from {old.payload_class!r} to "
            f"{new.payload_class!r} (wire unchanged)",
        )  # fmt: skip
    if old.deprecated != new.deprecated:
        state = "now deprecated: publishing warns" if new.deprecated else "no longer deprecated"
        yield versions.at_new(new.path, Impact.API, f"topic {name} {state}", at_key=True)
    yield from comparer.compare(
        Node(old.payload, (*old.path, "payload")), Node(new.payload, (*new.path, "payload"))
    )


def _has(data: Any, topic: TopicSpec, key: str) -> bool:
    return key in data["topics"][topic.wire_name]


def _models(
    versions: Versions, comparer: SchemaComparer, kept: Sequence[TopicSpec]
) -> Iterator[Finding]:
    for name in sorted(_used_models(kept, versions.old_models)):
        if name not in versions.new_models:
            continue  # the topics that used it now refer elsewhere: compared there
        yield from comparer.compare(
            Node(versions.old_models[name], ("models", name)),
            Node(versions.new_models[name], ("models", name)),
        )


def _used_models(topics: Sequence[TopicSpec], models: Mapping[str, Any]) -> set[str]:
    """Return the models reachable from the topics both versions have."""
    pending = [topic.payload for topic in topics]
    used: set[str] = set()
    while pending:
        for _, node in walk(pending.pop(), ()):
            target = ref_target(node)
            if target is not None and target in models and target not in used:
                used.add(target)
                pending.append(models[target])
    return used
