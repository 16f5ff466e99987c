"""The wire protocol: handler names, messages, their JSON both ways, paging and sizes.

Every byte a wstream client or workflow puts on the wire is written here and read back here;
the size model below counts those bytes exactly, so a batch or a page is bounded by what it
really weighs. No ``from __future__ import annotations``: the payload converter resolves
these dataclasses' field types at run time, also inside the workflow sandbox.
"""

import base64
import binascii
import json
import zlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from json.encoder import encode_basestring_ascii
from typing import Any, Final, Protocol

from temporalio.api.common.v1 import Payload

from wstream.page_packer import PACK_END_BYTES, Packer, pack_log

#: Signal carrying one batch of published items.
PUBLISH_SIGNAL: Final = "__temporal_workflow_stream_publish"
#: Update (long-poll) and query (immediate) reading items from an offset.
POLL_HANDLER: Final = "__temporal_workflow_stream_poll"
#: Query answering the global end offset.
OFFSET_QUERY: Final = "__temporal_workflow_stream_offset"
#: Memo key a wstream workflow sets to its run id just before that run continues as new;
#: wstream publishers that see it answer with :data:`HOLDING_SIGNAL` and hold their batches
#: for the next run.
CLOSING_MEMO: Final = "wstream-closing-run"
#: Signal (argument: the closing run's id) a wstream publisher sends once it holds: the
#: run continues as new on it, in a task no publish of that publisher can race.
HOLDING_SIGNAL: Final = "__wstream_publisher_holding"


def encode_payload(payload: Payload) -> str:
    """Return the wire form of one item: base64 of the serialized payload."""
    # binascii directly: base64.b64encode's wrapper costs more than the encoding of a
    # small item, and a burst encodes one per publish() call.
    return binascii.b2a_base64(payload.SerializeToString(), newline=False).decode("ascii")


def decode_payload(data: str) -> Payload:
    """Parse the wire form of one item back into a payload."""
    return Payload.FromString(binascii.a2b_base64(data))


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

    ``compress`` (wstream too) asks for the items zlib-compressed in ``items_zlib``: fewer,
    fuller pages under the same byte bound, which matters most for a closed run, which
    replays its whole history for every query it answers.

    ``raw_pages`` (wstream too, sent with ``compress``) asks a wstream workflow that knows it
    for a binary page instead (see :mod:`wstream.raw_pages`): items as payload bytes, not
    base64 text, so twice as many fit in a page. One that does not know it answers
    ``items_zlib``, and the reader reads either.
    """

    topics: list[str] = field(default_factory=list)
    from_offset: int = 0
    notify_only: bool = False
    follow_segments: bool = False
    compress: bool = False
    raw_pages: bool = False


@dataclass
class WireItem:
    """One retained item as it travels in poll results and continue-as-new state."""

    topic: str
    data: str
    offset: int = 0

    def payload(self) -> Payload:
        """Parse the item's payload from its wire form."""
        return decode_payload(self.data)


class PageItem(Protocol):
    """An item of a poll answer: a :class:`WireItem`, or a binary page's item."""

    @property
    def topic(self) -> str:
        """The item's topic."""

    @property
    def data(self) -> str:
        """The item's wire form: base64 of its serialized payload."""

    @property
    def offset(self) -> int:
        """The item's offset."""

    def payload(self) -> Payload:
        """Parse the item's payload."""


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
    So is ``end_offset``, the answering run's end offset, from which a subscriber reports how
    far it lags behind the stream.
    """

    items: Sequence[PageItem] = field(default_factory=list)
    next_offset: int = 0
    more_ready: bool = False
    base_offset: int | None = None
    sealed: SealedSegment | None = None
    segments: list[SealedSegment] | None = None
    end_offset: int | None = None


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


def _or(value: object, default: object) -> object:
    """``value``, or ``default`` when the sender left it out or wrote ``null``."""
    return default if value is None else value


@dataclass
class PublishColumns:
    """A publish batch read into parallel lists, without an object per item."""

    topics: list[str]
    data: list[str]
    publisher_id: str
    sequence: int


def parse_publish_columns(data: bytes) -> PublishColumns:
    """Read a publish signal's argument into its items' topics and wire forms, index for index.

    The workflow's publish handler reads thousands of items per signal; an object per item
    would cost more than the JSON itself.

    Raises:
        MalformedInput: the argument does not follow the wire format.
    """
    body = _json_object(data, "publish batch")
    items = _or(body.get("items"), [])
    publisher_id = _or(body.get("publisher_id"), "")
    sequence = _or(body.get("sequence"), 0)
    if not isinstance(items, list) or not isinstance(publisher_id, str):
        raise MalformedInput("publish batch needs a list 'items' and a string 'publisher_id'")
    if not isinstance(sequence, int):
        raise MalformedInput(f"publish batch 'sequence' must be an integer, got {sequence!r}")
    topics: list[str] = []
    wires: list[str] = []
    for index, item in enumerate(items):
        topic = item.get("topic") if type(item) is dict else None
        wire = item.get("data") if type(item) is dict else None
        if type(topic) is not str or type(wire) is not str:
            raise MalformedInput(f"publish batch item {index} needs string 'topic' and 'data'")
        topics.append(topic)
        wires.append(wire)
    return PublishColumns(topics, wires, publisher_id, sequence)


def parse_publish(data: bytes) -> PublishInput:
    """Read a publish signal's argument straight from its JSON bytes.

    The converter's generic dataclass path costs several microseconds per item inside the
    workflow sandbox; a batch carries thousands of items.

    Raises:
        MalformedInput: the argument does not follow the wire format.
    """
    batch = parse_publish_columns(data)
    entries = [PublishEntry(t, d) for t, d in zip(batch.topics, batch.data, strict=True)]
    return PublishInput(entries, batch.publisher_id, batch.sequence)


def parse_poll(data: bytes) -> PollInput:
    """Read a poll request from its JSON bytes.

    Raises:
        MalformedInput: the request does not follow the wire format.
    """
    body = _json_object(data, "poll request")
    topics = _or(body.get("topics"), [])
    from_offset = _or(body.get("from_offset"), 0)
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
        bool(body.get("compress", False)),
        bool(body.get("raw_pages", False)),
    )


# -- writing: the same compact JSON every implementation reads ------------------------------

_JSON_PLAIN: Final = {"encoding": b"json/plain"}


def _json_payload(body: object, *, sort_keys: bool = False) -> Payload:
    # Built as JSON directly: the converter's generic dataclass path costs several
    # microseconds per item, and a batch or a page carries thousands.
    data = json.dumps(body, separators=(",", ":"), sort_keys=sort_keys).encode()
    return Payload(metadata=_JSON_PLAIN, data=data)


def encode_publish(batch: PublishInput) -> Payload:
    """Return the publish signal's argument for ``batch``, the bytes :func:`parse_publish` reads.

    Its size is :data:`PUBLISH_OVERHEAD` plus :func:`entry_size` of every item (exact at the
    widest sequence number).
    """
    body = {
        "items": [{"topic": entry.topic, "data": entry.data} for entry in batch.items],
        "publisher_id": batch.publisher_id,
        "sequence": batch.sequence,
    }
    return _json_payload(body)


def json_plain_body(data: bytes) -> bytes:
    """Return the serialized ``json/plain`` payload carrying ``data``, with no message built.

    The bytes are exactly those ``Payload(metadata={"encoding": b"json/plain"},
    data=data).SerializeToString()`` writes: a burst serializes one payload per ``publish()``
    call, and building the message object costs more than the item's JSON itself.
    """
    if not data:
        return _JSON_PLAIN_HEAD  # proto3 writes no empty bytes field
    size = len(data)
    if 0x80 <= size < 0x4000:  # an item's JSON, most of the time: a two-byte length
        return b"".join((_JSON_PLAIN_HEAD, bytes((0x12, (size & 0x7F) | 0x80, size >> 7)), data))
    return b"".join((_JSON_PLAIN_HEAD, _data_head(size), data))


def _data_head(size: int) -> bytes:
    """The tag and length varint of ``Payload.data`` (field 2, length-delimited)."""
    varint = bytearray()
    while size >= 0x80:
        varint.append((size & 0x7F) | 0x80)
        size >>= 7
    varint.append(size)
    return b"\x12" + bytes(varint)


#: ``Payload.metadata`` holding only ``encoding: json/plain``, serialized (field 1 comes
#: before field 2, so a body is this, then the data field).
_JSON_PLAIN_HEAD: Final = Payload(metadata=_JSON_PLAIN).SerializeToString()


def wire_length(body_size: int) -> int:
    """Characters of an item's wire form (base64, no newline) for a body of ``body_size`` bytes."""
    return 4 * ((body_size + 2) // 3)


def body_entry_size(topic_size: int, body_size: int) -> int:
    """Bytes one item adds to a publish batch, its comma included, from its parts' sizes.

    Args:
        topic_size: :func:`json_string_size` of the item's topic.
        body_size: Bytes of the item's serialized payload.
    """
    return topic_size + wire_length(body_size) + 2 + ENTRY_OVERHEAD


def encode_publish_bodies(
    items: Iterable[tuple[str, bytes]], publisher_id: str, sequence: int
) -> Payload:
    """Return the publish signal's argument for items given as (topic, serialized payload).

    The bytes are those :func:`encode_publish` writes for the same items. A publisher keeps
    each item as its serialized payload until its batch is sent, and writes the base64 and
    the JSON around it here, in one pass.
    """
    heads: dict[str, bytes] = {}
    parts = [b'{"items":[']
    for topic, body in items:
        head = heads.get(topic)
        if head is None:
            head = heads[topic] = f'{{"topic":{encode_basestring_ascii(topic)},"data":"'.encode()
        parts += (head, binascii.b2a_base64(body, newline=False), b'"},')
    if len(parts) > 1:
        parts[-1] = b'"}'  # no comma after the last item
    tail = f'],"publisher_id":{encode_basestring_ascii(publisher_id)},"sequence":{int(sequence)}}}'
    parts.append(tail.encode("ascii"))
    return Payload(metadata=_JSON_PLAIN, data=b"".join(parts))


def encode_poll(request: PollInput) -> Payload:
    """Return the poll update's or query's argument, the bytes :func:`parse_poll` reads.

    The keys are sorted, as the default payload converter writes this dataclass, so the
    request is the same whichever way a client builds it.
    """
    body = {
        "topics": list(request.topics),
        "from_offset": request.from_offset,
        "notify_only": request.notify_only,
        "follow_segments": request.follow_segments,
        "compress": request.compress,
        "raw_pages": request.raw_pages,
    }
    return _json_payload(body, sort_keys=True)


def _segment_json(segment: SealedSegment) -> dict[str, Any]:
    return {
        "run_id": segment.run_id,
        "first_offset": segment.first_offset,
        "end_offset": segment.end_offset,
    }


def encode_poll_result(result: PollResult, *, compress: bool = False) -> Payload:
    """Return a poll answer, the bytes :func:`parse_poll_result` reads.

    ``sealed`` and ``segments`` are written only when set, so an answer to an official
    client carries only what it knows (and ``base_offset``, which it ignores). With
    ``compress`` (only ever asked by a wstream reader) the items travel as ``items_zlib``:
    base64 of the zlib-compressed JSON list ``items`` would hold.
    """
    items = [{"topic": i.topic, "data": i.data, "offset": i.offset} for i in result.items]
    body: dict[str, Any] = {
        "items": [] if compress else items,
        "next_offset": result.next_offset,
        "more_ready": result.more_ready,
        "base_offset": result.base_offset,
    }
    if result.end_offset is not None:
        body["end_offset"] = result.end_offset
    if compress:
        listed = json.dumps(items, separators=(",", ":")).encode()
        body["items_zlib"] = base64.b64encode(zlib.compress(listed, 1)).decode("ascii")
    if result.sealed is not None:
        body["sealed"] = _segment_json(result.sealed)
    if result.segments is not None:
        body["segments"] = [_segment_json(segment) for segment in result.segments]
    return _json_payload(body)


# -- the size model --------------------------------------------------------------------------

#: Widest sequence number a publish batch reserves room for: the other SDKs keep it in an int64.
SEQUENCE_DIGITS: Final = 19
#: Length of a publisher id (16 hex characters).
PUBLISHER_ID_LENGTH: Final = 16
#: Bytes of a publish batch around its items, ``{"items":[...],"publisher_id":"<id>",
#: "sequence":<n>}``, with the sequence at its widest and one item separator taken back
#: (each item counts the comma after it, and the last one has none).
PUBLISH_OVERHEAD: Final = (
    len('{"items":[],"publisher_id":"","sequence":}') + PUBLISHER_ID_LENGTH + SEQUENCE_DIGITS - 1
)
#: Bytes of one publish batch item besides its topic and data strings: ``{"topic":,"data":},``.
ENTRY_OVERHEAD: Final = len('{"topic":,"data":},')
#: Bytes of one retained item besides its topic, data and offset: ``{"topic":,"data":,"offset":},``.
ITEM_OVERHEAD: Final = len('{"topic":,"data":,"offset":},')
#: Bytes of a poll answer around its items, besides the three offsets' digits (``more_ready``
#: counted as ``false``, the longer), with one item separator taken back.
_POLL_RESULT_OVERHEAD: Final = (
    len('{"items":[],"next_offset":,"more_ready":false,"base_offset":,"end_offset":}') - 1
)


def plain_json_strings(document: bytes) -> bool:
    """Whether every string in the JSON ``document`` is written as itself, unescaped.

    So it is when the document is ASCII with no backslash: a quote, a control or a non-ASCII
    character inside a string would have been escaped. Then each of its strings weighs its
    length plus its quotes in :func:`json_string_size`'s measure.
    """
    return document.isascii() and b"\\" not in document


def json_string_size(text: str) -> int:
    """Bytes of ``text`` as a JSON string, quotes included, as this module writes it.

    A quote or a backslash takes two bytes, a control or non-ASCII character six or twelve
    (``ensure_ascii``); ``len(text) + 2`` under-counts them.
    """
    if _is_base64(text):
        return len(text) + 2
    return len(encode_basestring_ascii(text))


#: The base64 alphabet: JSON writes none of its characters escaped.
_BASE64_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


def _is_base64(text: str) -> bool:
    """Whether ``text`` has only base64 characters, so its JSON is itself in quotes.

    Items' wire forms always are; this check costs half of escaping one.
    """
    return text.isascii() and not text.encode("ascii").translate(None, _BASE64_ALPHABET)


def entry_size(topic: str, data: str) -> int:
    """Bytes one item adds to a publish batch (:func:`encode_publish`), its comma included.

    Args:
        topic: The item's topic.
        data: The item's wire form (base64 of its serialized payload).

    Returns:
        The item's bytes in the batch.
    """
    return json_string_size(topic) + json_string_size(data) + ENTRY_OVERHEAD


def item_size(topic: str, data: str, offset: int) -> int:
    """Bytes one retained item takes in a poll answer or in continue-as-new state, comma included.

    Args:
        topic: The item's topic.
        data: The item's wire form.
        offset: The item's offset.

    Returns:
        The item's bytes in :func:`encode_poll_result`'s answer (and in the state's ``log``,
        which the payload converter writes with the same separators).
    """
    return json_string_size(topic) + json_string_size(data) + len(str(offset)) + ITEM_OVERHEAD


def unplaced_item_size(topic: str, data: str) -> int:
    """:func:`item_size` without the offset's digits: what an item weighs wherever it sits."""
    return json_string_size(topic) + json_string_size(data) + ITEM_OVERHEAD


def page(
    topics: Sequence[str],
    data: Sequence[str],
    *,
    base_offset: int,
    from_offset: int,
    wanted: Collection[str] | None,
    limit: int,
    sizes: Sequence[int] | None = None,
) -> PollResult:
    """Answer a poll from a retained log: the items from ``from_offset`` that fit in ``limit``.

    The encoded answer (:func:`encode_poll_result`) stays within ``limit`` bytes, unless its
    one item alone is larger; an answer is cut only where its next item would not fit.

    Args:
        topics: The retained items' topics, the first at ``base_offset``.
        data: Their wire forms, index for index.
        base_offset: The offset of the first retained item.
        from_offset: The first offset asked for (below ``base_offset``: from the base).
        wanted: The topics asked for, or None for every topic.
        limit: The answer's bound in bytes.
        sizes: Their :func:`unplaced_item_size`, index for index, when the caller keeps
            them (saves measuring every item again).

    Returns:
        The answer: ``next_offset`` is where the next page starts, ``more_ready`` whether it
        was cut.
    """
    end_offset = base_offset + len(data)
    size = _POLL_RESULT_OVERHEAD + 2 * len(str(end_offset)) + len(str(base_offset))
    items: list[WireItem] = []
    for index in range(max(from_offset, base_offset) - base_offset, len(data)):
        topic = topics[index]
        if wanted is not None and topic not in wanted:
            continue
        offset = base_offset + index
        if sizes is None:
            size += item_size(topic, data[index], offset)
        else:
            size += sizes[index] + len(str(offset))
        if items and size > limit:
            return PollResult(items, offset, True, base_offset, end_offset=end_offset)
        items.append(WireItem(topic, data[index], offset))
    return PollResult(items, end_offset, False, base_offset, end_offset=end_offset)


#: Bytes of a compressed poll answer besides its three offsets' digits and the packed items'
#: base64 (``more_ready`` counted as ``false``, the longer).
_PACKED_RESULT_OVERHEAD: Final = len(
    '{"items":[],"next_offset":,"more_ready":false,"base_offset":,"end_offset":,"items_zlib":""}'
)


def packed_page(
    topics: Sequence[str],
    data: Sequence[str],
    sizes: Sequence[int],
    *,
    base_offset: int,
    from_offset: int,
    wanted: Collection[str] | None,
    limit: int,
    source_limit: int,
    level: int = 1,
) -> Payload:
    """Answer a poll with compressed items (``items_zlib``), as many as fit in ``limit`` bytes.

    The answer reads as :func:`encode_poll_result` with ``compress`` writes it. Each item's
    JSON is written once, as text, and compressed in chunks while the page grows, instead of
    building the page, compressing it whole and building a smaller one when it is too large.

    Args:
        topics: The retained items' topics, the first at ``base_offset``.
        data: Their wire forms, index for index.
        sizes: Their :func:`unplaced_item_size`, index for index.
        base_offset: The offset of the first retained item.
        from_offset: The first offset asked for (below ``base_offset``: from the base).
        wanted: The topics asked for, or None for every topic.
        limit: The answer's bound in bytes (one item alone may pass it).
        source_limit: The most bytes the items may unpack to (one item alone may pass it).
        level: The zlib level: 1 is fastest; higher packs more items into the bound.

    Returns:
        The answer's payload.
    """
    end_offset = base_offset + len(data)
    room = limit - _PACKED_RESULT_OVERHEAD - 2 * len(str(end_offset)) - len(str(base_offset))
    # Base64 writes 4 characters per 3 bytes; keep room for the stream's end.
    packer = Packer(max(0, room) // 4 * 3 - PACK_END_BYTES, level, opening=b"[", separator=b",")
    topic_json: dict[str, str] = {}

    def render(topic: str, wire: str, offset: int) -> bytes:
        quoted = topic_json.get(topic)
        if quoted is None:
            quoted = topic_json[topic] = encode_basestring_ascii(topic)
        if sizes[offset - base_offset] == len(quoted) + len(wire) + 2 + ITEM_OVERHEAD:
            # Nothing in it to escape (base64 never has): its JSON is itself in quotes.
            text = f'{{"topic":{quoted},"data":"{wire}","offset":{offset}}}'
        else:
            text = f'{{"topic":{quoted},"data":{encode_basestring_ascii(wire)},"offset":{offset}}}'
        return text.encode("ascii")

    next_offset = pack_log(
        packer,
        topics,
        data,
        base_offset=base_offset,
        from_offset=from_offset,
        wanted=wanted,
        source_limit=source_limit - 2,  # the list's brackets
        render=render,
    )
    packed = binascii.b2a_base64(packer.finish(b"]"), newline=False).decode("ascii")
    more = "true" if next_offset < end_offset else "false"
    body = (
        f'{{"items":[],"next_offset":{next_offset},"more_ready":{more},'
        f'"base_offset":{base_offset},"end_offset":{end_offset},"items_zlib":"{packed}"}}'
    )
    return Payload(metadata=_JSON_PLAIN, data=body.encode("ascii"))


# -- reading answers -------------------------------------------------------------------------


def _integer(body: dict[str, object], key: str, what: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedInput(f"{what} '{key}' must be an integer, got {value!r}")
    return value


def _segment(entry: object) -> SealedSegment:
    if not isinstance(entry, dict) or not isinstance(entry.get("run_id"), str):
        raise MalformedInput(f"a sealed segment must be an object with a 'run_id', got {entry!r}")
    return SealedSegment(
        entry["run_id"],
        _integer(entry, "first_offset", "sealed segment"),
        _integer(entry, "end_offset", "sealed segment"),
    )


#: Most bytes compressed items may expand to (a bound far above any answer wstream writes).
_MAX_UNPACKED_BYTES: Final = 256 * 1024 * 1024


def _unpack_items(packed: object) -> object:
    if not isinstance(packed, str):
        raise MalformedInput(f"poll answer 'items_zlib' must be a string, got {type(packed)}")
    inflate = zlib.decompressobj()
    try:
        listed = inflate.decompress(base64.b64decode(packed), _MAX_UNPACKED_BYTES)
    except (ValueError, zlib.error) as error:
        raise MalformedInput(f"poll answer 'items_zlib' does not unpack: {error}") from None
    if inflate.unconsumed_tail:
        raise MalformedInput("poll answer 'items_zlib' expands past 256 MiB")
    try:
        return json.loads(listed)
    except ValueError as error:
        raise MalformedInput(f"poll answer 'items_zlib' is not a JSON list: {error}") from None


def _poll_item(item: object, index: int) -> WireItem:
    """Read one item of a poll answer, or say what is wrong with it."""
    topic = item.get("topic") if isinstance(item, dict) else None
    wire = item.get("data") if isinstance(item, dict) else None
    if not isinstance(item, dict) or not isinstance(topic, str) or not isinstance(wire, str):
        raise MalformedInput(f"poll answer item {index} needs string 'topic' and 'data'")
    return WireItem(topic, wire, _integer(item, "offset", f"poll answer item {index}"))


def parse_poll_result(data: bytes) -> PollResult:
    """Read a poll answer (of any implementation) from its JSON bytes.

    Raises:
        MalformedInput: the answer does not follow the wire format.
    """
    body = _json_object(data, "poll answer")
    raw_items = _or(body.get("items"), [])
    packed = body.get("items_zlib")
    if packed is not None:
        raw_items = _unpack_items(packed)
    if not isinstance(raw_items, list):
        raise MalformedInput(f"poll answer 'items' must be a list, got {raw_items!r}")
    items = []
    for index, item in enumerate(raw_items):
        # A page holds thousands of items: the common, well-formed case is checked first,
        # by exact types (JSON reads no subclasses), and explained only when it fails.
        if type(item) is dict:
            topic = item.get("topic")
            wire = item.get("data")
            offset = item.get("offset")
            if type(topic) is str and type(wire) is str and type(offset) is int:
                items.append(WireItem(topic, wire, offset))
                continue
        items.append(_poll_item(item, index))
    base = body.get("base_offset")
    end = body.get("end_offset")
    sealed = body.get("sealed")
    segments = body.get("segments")
    if segments is not None and not isinstance(segments, list):
        raise MalformedInput(f"poll answer 'segments' must be a list, got {segments!r}")
    return PollResult(
        items,
        _integer(body, "next_offset", "poll answer", 0),
        bool(body.get("more_ready", False)),
        None if base is None else _integer(body, "base_offset", "poll answer"),
        None if sealed is None else _segment(sealed),
        None if segments is None else [_segment(entry) for entry in segments],
        None if end is None else _integer(body, "end_offset", "poll answer"),
    )
