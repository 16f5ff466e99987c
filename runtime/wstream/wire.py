"""Wire format shared with every Temporal Workflow Streams implementation.

No ``from __future__ import annotations`` here: the payload converter resolves these
dataclasses' field types at run time, also inside the workflow sandbox.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
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

    ``follow_segments`` is a wstream extension too: a wstream workflow asked (by query) for
    an offset that an earlier run sealed answers with a :class:`SealedSegment` to read it
    from, instead of skipping to its own base. Official clients never set it, so they see
    the sealed part as truncated.
    """

    topics: list[str] = field(default_factory=list)
    from_offset: int = 0
    notify_only: bool = False
    follow_segments: bool = False


@dataclass
class WireItem:
    """One retained item as it travels in poll results and continue-as-new state."""

    topic: str
    data: str
    offset: int = 0


@dataclass
class SealedSegment:
    """A closed run of the chain and the offsets its log holds, ``[first_offset, end_offset)``.

    The items stay in that run's history; the poll query against its run id reads them
    (Temporal answers a query on a closed run by replaying it on a worker).
    """

    run_id: str
    first_offset: int
    end_offset: int


@dataclass
class PollResult:
    """Answer of the poll update and query.

    ``base_offset`` is a wstream extension (other implementations ignore it): the first
    retained offset, so a client can tell how many items truncation skipped. So are
    ``sealed`` (answering a ``follow_segments`` query for an offset an earlier run holds:
    read from ``next_offset`` in that run) and ``segments`` (the answering run's directory of
    sealed segments, which the reader caches to go from one sealed run to the next directly).
    """

    items: list[WireItem] = field(default_factory=list)
    next_offset: int = 0
    more_ready: bool = False
    base_offset: int | None = None
    sealed: SealedSegment | None = None
    segments: list[SealedSegment] | None = None


@dataclass
class PublisherState:
    """Dedup state of one publisher: its last accepted sequence and when it was seen.

    ``last_seen`` is kept as its ISO-8601 text (the JSON the other implementations read and
    write): a ``datetime`` field would not convert when wstream itself is imported inside
    the workflow sandbox, where ``datetime`` is a restricted stand-in class.
    """

    sequence: int
    last_seen: str

    @classmethod
    def at(cls, sequence: int, seen: datetime) -> "PublisherState":
        """Record ``sequence`` as seen at ``seen``."""
        return cls(sequence, seen.isoformat())

    def seen_at(self) -> datetime:
        """When the publisher was last seen, as a timezone-aware datetime."""
        seen = datetime.fromisoformat(self.last_seen.replace("Z", "+00:00"))
        return seen if seen.tzinfo else seen.replace(tzinfo=timezone.utc)


@dataclass
class WorkflowStreamState:
    """Everything a stream carries across continue-as-new.

    The Python shape keeps ``publishers``; the other SDKs carry ``publisher_sequences`` and
    ``publisher_last_seen`` (Unix seconds) instead. Both are read; the Python shape is written.

    A wstream stream carries only a bounded tail of its log in ``log``; the rest stays in
    the closed runs listed in ``segments`` (a wstream extension, oldest first, the most
    recent :data:`~wstream.limits.MAX_SEGMENTS_CARRIED`; each run knows the ones before it).
    ``sealed_floor`` is the lowest offset a reader may still be sent to: ``truncate`` raises
    it, so truncated items in sealed runs stay unread. Other implementations ignore both and
    see everything below ``base_offset`` as truncated.
    """

    log: list[WireItem] = field(default_factory=list)
    base_offset: int = 0
    publishers: dict[str, PublisherState] = field(default_factory=dict)
    publisher_sequences: dict[str, int] | None = None
    publisher_last_seen: dict[str, float] | None = None
    segments: list[SealedSegment] = field(default_factory=list)
    sealed_floor: int = 0


class MalformedInput(ValueError):
    """A publish batch or poll request that does not follow the wire format."""


def _json_object(data: bytes, what: str) -> dict[str, object]:
    try:
        body = json.loads(data)
    except ValueError as error:
        raise MalformedInput(f"{what} is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise MalformedInput(f"{what} must be a JSON object, got {type(body).__name__}")
    return body


def parse_publish(data: bytes) -> PublishInput:
    """Read a publish signal's argument straight from its JSON bytes.

    The converter's generic dataclass path costs several microseconds per item inside the
    workflow sandbox; a batch carries thousands of items.

    Raises:
        MalformedInput: the argument does not follow the wire format.
    """
    body = _json_object(data, "publish batch")
    items = body.get("items") or []
    publisher_id = body.get("publisher_id") or ""
    sequence = body.get("sequence") or 0
    if not isinstance(items, list) or not isinstance(publisher_id, str):
        raise MalformedInput("publish batch needs a list 'items' and a string 'publisher_id'")
    if not isinstance(sequence, int):
        raise MalformedInput(f"publish batch 'sequence' must be an integer, got {sequence!r}")
    entries = []
    for index, item in enumerate(items):
        topic = item.get("topic") if isinstance(item, dict) else None
        wire = item.get("data") if isinstance(item, dict) else None
        if not isinstance(topic, str) or not isinstance(wire, str):
            raise MalformedInput(f"publish batch item {index} needs string 'topic' and 'data'")
        entries.append(PublishEntry(topic, wire))
    return PublishInput(entries, publisher_id, sequence)


def parse_poll(data: bytes) -> PollInput:
    """Read a poll request from its JSON bytes.

    Raises:
        MalformedInput: the request does not follow the wire format.
    """
    body = _json_object(data, "poll request")
    topics = body.get("topics") or []
    from_offset = body.get("from_offset") or 0
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise MalformedInput(f"poll request 'topics' must be a list of strings, got {topics!r}")
    if not isinstance(from_offset, int) or from_offset < 0:
        raise MalformedInput(
            f"poll request 'from_offset' must be a non-negative integer, got {from_offset!r}"
        )
    return PollInput(
        topics,
        from_offset,
        bool(body.get("notify_only", False)),
        bool(body.get("follow_segments", False)),
    )
