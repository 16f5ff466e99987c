"""The typed item a subscriber receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class WorkflowStreamItem(Generic[T]):
    """One item read from a stream.

    Attributes:
        topic: The topic the item was published to.
        data: The decoded value (its type follows the subscription's ``result_type`` or the
            type bound to the topic).
        offset: The item's global offset in the stream, stable across continue-as-new
            (``0`` when omitted, as in the official module).
        traceparent: The W3C trace context of the span current at ``publish()``, when the
            publisher had one (see :func:`wstream.tracing.item_link`).
        published_at: When ``publish()`` was called, for items of a client created with
            ``stamp_publish_time=True``.
    """

    topic: str
    data: T
    offset: int = 0
    traceparent: str | None = None
    published_at: datetime | None = None
