"""Wire format shared with every Temporal Workflow Streams implementation.

No ``from __future__ import annotations`` here: the payload converter resolves these
dataclasses' field types at run time, also inside the workflow sandbox.
"""

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from temporalio.api.common.v1 import Payload

#: Signal carrying one batch of published items.
PUBLISH_SIGNAL: Final = "__temporal_workflow_stream_publish"
#: Update (long-poll) and query (immediate) reading items from an offset.
POLL_HANDLER: Final = "__temporal_workflow_stream_poll"
#: Query answering the global end offset.
OFFSET_QUERY: Final = "__temporal_workflow_stream_offset"


def encode_payload(payload: Payload) -> str:
    """Return the wire form of one item: base64 of the serialized payload."""
    return base64.b64encode(payload.SerializeToString()).decode("ascii")


def decode_payload(data: str) -> Payload:
    """Parse the wire form of one item back into a payload."""
    payload = Payload()
    payload.ParseFromString(base64.b64decode(data))
    return payload


@dataclass
class PublishEntry:
    """One item inside a publish batch."""

    topic: str
    data: str


@dataclass
class PublishInput:
    """Argument of the publish signal: a batch of items and its dedup key."""

    items: list[PublishEntry] = field(default_factory=list)
    publisher_id: str = ""
    sequence: int = 0


@dataclass
class PollInput:
    """Argument of the poll update and query.

    ``notify_only`` is a wstream extension that other implementations ignore: a wstream
    workflow then answers the update with the new end offset only, and the client reads the
    items through the query, so item bytes never enter history through update results.
    """

    topics: list[str] = field(default_factory=list)
    from_offset: int = 0
    notify_only: bool = False


@dataclass
class WireItem:
    """One retained item as it travels in poll results and continue-as-new state."""

    topic: str
    data: str
    offset: int = 0


@dataclass
class PollResult:
    """Answer of the poll update and query.

    ``base_offset`` is a wstream extension (other implementations ignore it): the first
    retained offset, so a client can tell how many items truncation skipped.
    """

    items: list[WireItem] = field(default_factory=list)
    next_offset: int = 0
    more_ready: bool = False
    base_offset: int | None = None


@dataclass
class PublisherState:
    """Dedup state of one publisher: its last accepted sequence and when it was seen."""

    sequence: int
    last_seen: datetime


@dataclass
class WorkflowStreamState:
    """Everything a stream carries across continue-as-new.

    The Python shape keeps ``publishers``; the other SDKs carry ``publisher_sequences`` and
    ``publisher_last_seen`` (Unix seconds) instead. Both are read; the Python shape is written.
    """

    log: list[WireItem] = field(default_factory=list)
    base_offset: int = 0
    publishers: dict[str, PublisherState] = field(default_factory=dict)
    publisher_sequences: dict[str, int] | None = None
    publisher_last_seen: dict[str, float] | None = None
