"""Describe a stream as an AsyncAPI 3.0.0 document: one channel per topic, payloads as schemas."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from wstream_gen.spec import StreamSpec, TopicSpec

ASYNCAPI_VERSION = "3.0.0"
_MODEL_REF = "#/models/"
_SCHEMA_REF = "#/components/schemas/"

#: Facts a client in another language needs to reach the stream (see the design's wire protocol).
WIRE: Mapping[str, Any] = {
    "format": 1,
    "payloadEncoding": "json/plain",
    "publishSignal": "__temporal_workflow_stream_publish",
    "pollUpdate": "__temporal_workflow_stream_poll",
    "pollQuery": "__temporal_workflow_stream_poll",
    "offsetQuery": "__temporal_workflow_stream_offset",
}


def fingerprint(data: Any) -> str:
    """Fingerprint a schema file's content: the default ``info.version``.

    Args:
        data: The loaded schema document.

    Returns:
        ``sha256:`` and the first 12 hex digits of the canonical JSON of the document
        (key order, layout and comments do not count; every other change does).
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def _rewrite_refs(schema: Any) -> Any:
    """Copy a schema with every ``#/models/X`` reference pointed at the components."""
    if isinstance(schema, list):
        return [_rewrite_refs(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str) and value.startswith(_MODEL_REF):
            result[key] = _SCHEMA_REF + value[len(_MODEL_REF) :]
        elif key in ("enum", "const", "default", "examples"):
            result[key] = value  # values, not schemas: a "$ref" key inside is data
        elif key == "properties" and isinstance(value, dict):
            result[key] = {name: _rewrite_refs(child) for name, child in value.items()}
        else:
            result[key] = _rewrite_refs(value)
    return result


def _message(topic: TopicSpec) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": topic.wire_name,
        "title": topic.payload_class,
        "contentType": "application/json",
        "payload": {"$ref": _SCHEMA_REF + topic.payload_class},
    }
    if topic.description:
        message["summary"] = topic.description
    if topic.deprecated:
        message["deprecated"] = True
    return message


def _channel(topic: TopicSpec) -> dict[str, Any]:
    key = topic.identifier
    channel: dict[str, Any] = {
        "address": topic.wire_name,
        "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        "x-python-name": key,
    }
    if topic.description:
        channel["description"] = topic.description
    return channel


def _operations(topic: TopicSpec) -> dict[str, dict[str, Any]]:
    key = topic.identifier

    def operation(action: str, summary: str) -> dict[str, Any]:
        return {
            "action": action,
            "summary": summary,
            "channel": {"$ref": f"#/channels/{key}"},
            "messages": [{"$ref": f"#/channels/{key}/messages/{key}"}],
        }

    return {
        f"publish_{key}": operation("send", f"Publish an item to topic {topic.wire_name!r}."),
        f"subscribe_{key}": operation(
            "receive", f"Receive the items of topic {topic.wire_name!r}, in offset order."
        ),
    }


def asyncapi_document(
    spec: StreamSpec, data: Any, api_version: str | None = None
) -> dict[str, Any]:
    """Build the AsyncAPI 3.0.0 document of a stream.

    The document describes an application that publishes to and subscribes to the stream:
    per topic a channel (address = wire topic name), a ``send`` operation
    ``publish_<python name>`` and a ``receive`` operation ``subscribe_<python name>``;
    payloads are JSON Schemas under ``components.schemas`` (shared models by their name,
    inline payloads by their generated class name). Maps whose order carries no meaning
    are sorted, so the output is the same on every run.

    Args:
        spec: The validated stream.
        data: The loaded schema document (for the default version).
        api_version: ``info.version``; defaults to :func:`fingerprint` of the schema.

    Returns:
        The document as plain JSON-compatible data.
    """
    schemas = {model.name: _rewrite_refs(model.schema) for model in spec.models}
    for topic in spec.topics:
        if topic.defines_class:
            schemas[topic.payload_class] = _rewrite_refs(topic.payload)
    info: dict[str, Any] = {"title": spec.name, "version": api_version or fingerprint(data)}
    if spec.description:
        info["description"] = spec.description
    operations: dict[str, Any] = {}
    for topic in spec.topics:
        operations.update(_operations(topic))
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:wstream:{spec.name}",
        "info": info,
        "defaultContentType": "application/json",
        "channels": _sorted({topic.identifier: _channel(topic) for topic in spec.topics}),
        "operations": _sorted(operations),
        "components": {
            "messages": _sorted({topic.identifier: _message(topic) for topic in spec.topics}),
            "schemas": _sorted(schemas),
        },
        "x-wstream": dict(WIRE),
    }


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: mapping[key] for key in sorted(mapping)}
