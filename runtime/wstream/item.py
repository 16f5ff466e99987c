"""The typed item a subscriber receives."""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    topic: str
    data: T
    offset: int = 0
