"""One topic of a stream: wire name, Python name, payload class and docs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wstream_gen.problems import DocPath


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the templates need it.

    Attributes:
        wire_name: The topic name on the wire (any non-empty string).
        identifier: The attribute name on the generated client and stream classes.
        payload_class: The model class that validates the payload (``Status``, ``Progress``).
        defines_class: True when the payload is inline and ``payload_class`` is created for it;
            False when the payload is a ``$ref`` to a shared model.
        item_class: The class of this topic's items in a typed subscription (``StatusItem``).
        description: The topic's description, or an empty string.
        deprecated: Whether publishing to the topic should warn.
        payload: The payload's JSON Schema as written (``$ref`` still into ``#/models``).
        path: Where the topic is defined in the document.
    """

    wire_name: str
    identifier: str
    payload_class: str
    defines_class: bool
    item_class: str
    description: str
    deprecated: bool
    payload: dict[str, Any]
    path: DocPath
