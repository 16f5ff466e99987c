"""The whole stream: its name, package, shared models and topics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wstream_gen.spec.topic import TopicSpec


@dataclass(frozen=True)
class ModelSpec:
    """A shared model from the ``models`` section.

    Attributes:
        name: The class name (the key in ``models``).
        schema: Its JSON Schema as written.
    """

    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class StreamSpec:
    """Everything the generator emits for one schema file.

    Attributes:
        source: The schema file as the user named it (shown in the generated headers).
        name: The stream name from the schema.
        package: The Python package to generate (``name`` unless overridden).
        description: The stream's description, or an empty string.
        models: The shared models, in file order.
        topics: The topics, in file order.
        client_class: Name of the generated client wrapper (``OrdersClient``).
        stream_class: Name of the generated workflow-side wrapper (``OrdersStream``).
        item_alias: Name of the union of all item classes (``OrdersItem``).
    """

    source: str
    name: str
    package: str
    description: str
    models: tuple[ModelSpec, ...]
    topics: tuple[TopicSpec, ...]
    client_class: str
    stream_class: str
    item_alias: str
