"""Binary poll pages for wstream readers: items as raw payload bytes in one zlib stream.

A JSON page carries each item as base64 text, which zlib packs ~1.9x worse than the bytes
it stands for; a closed run replays its whole history for every page it answers, so pages
that hold twice the items halve the replays of a long stream's read-back. Only a reader
that asks (``PollInput.raw_pages``) gets one; every other answer stays JSON.

The payload (encoding :data:`RAW_PAGE_ENCODING`) is the answer's JSON without its items, a
newline (compact JSON has none), then a zlib stream of the items, each written as
``topic, offset gap, kind and length, bytes`` in unsigned LEB128 varints:

- topic: the index of an earlier item's topic, or the count of topics so far followed by
  a new topic's length and UTF-8 bytes;
- offset gap: the item's offset minus the previous item's, minus one (the first item's
  "previous" is -1);
- kind and length: the byte count times two, plus one for an item that is not canonical
  base64 and travels as its UTF-8 wire text instead of the bytes it would decode to.
"""

import binascii
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Final

from temporalio.api.common.v1 import Payload

from wstream.page_packer import PACK_END_BYTES, Packer, pack_log
from wstream.wire import MalformedInput, PollResult, WireItem, parse_poll_result

#: The ``encoding`` metadata of a binary page.
RAW_PAGE_ENCODING: Final = b"binary/wstream-page"
_METADATA: Final = {"encoding": RAW_PAGE_ENCODING}
#: Bytes of the page's head besides its three offsets' digits (``more_ready`` counted as
#: ``false``, the longer), with the newline after it.
_HEAD_OVERHEAD: Final = len('{"next_offset":,"more_ready":false,"base_offset":,"end_offset":}\n')
#: Most bytes the items may expand to (far above any page wstream writes).
_MAX_UNPACKED_BYTES: Final = 256 * 1024 * 1024
_ONE_BYTE: Final = [bytes([value]) for value in range(0x80)]


@dataclass
class RawItem:
    """One item of a binary page: its serialized payload as bytes rather than base64 text."""

    topic: str
    raw: bytes
    offset: int

    @property
    def data(self) -> str:
        """The item's wire form (base64 of its serialized payload), as a JSON page has it."""
        return binascii.b2a_base64(self.raw, newline=False).decode("ascii")

    def payload(self) -> Payload:
        """Parse the item's payload."""
        return Payload.FromString(self.raw)


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


class _Writer:
    """Renders items in the page's item format, keeping its topic table and last offset."""

    def __init__(self) -> None:
        self.topic_refs: dict[str, bytes] = {}
        self.previous = -1

    def render(self, topic: str, wire: str, offset: int) -> bytes:
        ref = self.topic_refs.get(topic)
        if ref is None:
            name = topic.encode("utf-8", "surrogatepass")
            ref = _varint(len(self.topic_refs))
            self.topic_refs[topic] = ref
            ref += _varint(len(name)) + name
        gap = _varint(offset - self.previous - 1)
        self.previous = offset
        body = _canonical_bytes(wire)
        if body is None:
            text = wire.encode("utf-8", "surrogatepass")
            return ref + gap + _varint(len(text) * 2 + 1) + text
        return ref + gap + _varint(len(body) * 2) + body


def _canonical_bytes(wire: str) -> bytes | None:
    """The bytes ``wire`` is base64 of, if writing them back gives ``wire`` exactly."""
    try:
        body = binascii.a2b_base64(wire)
    except (binascii.Error, ValueError):
        return None
    if binascii.b2a_base64(body, newline=False) != wire.encode("ascii", "replace"):
        return None
    return body


def raw_page(
    topics: Sequence[str],
    data: Sequence[str],
    *,
    base_offset: int,
    from_offset: int,
    wanted: Collection[str] | None,
    limit: int,
    source_limit: int,
    level: int,
) -> Payload:
    """Answer a poll with a binary page of as many items as fit in ``limit`` bytes.

    Args:
        topics: The retained items' topics, the first at ``base_offset``.
        data: Their wire forms, index for index.
        base_offset: The offset of the first retained item.
        from_offset: The first offset asked for (below ``base_offset``: from the base).
        wanted: The topics asked for, or None for every topic.
        limit: The page's bound in bytes (one item alone may pass it).
        source_limit: The most bytes the items may unpack to (one item alone may pass it).
        level: The zlib level: 1 is fastest; higher packs more items into the bound.

    Returns:
        The page's payload, read back by :func:`parse_raw_page`.
    """
    end_offset = base_offset + len(data)
    head_room = _HEAD_OVERHEAD + 2 * len(str(end_offset)) + len(str(base_offset))
    packer = Packer(max(0, limit - head_room - PACK_END_BYTES), level)
    next_offset = pack_log(
        packer,
        topics,
        data,
        base_offset=base_offset,
        from_offset=from_offset,
        wanted=wanted,
        source_limit=source_limit,
        render=_Writer().render,
    )
    more = "true" if next_offset < end_offset else "false"
    head = (
        f'{{"next_offset":{next_offset},"more_ready":{more},'
        f'"base_offset":{base_offset},"end_offset":{end_offset}}}\n'
    )
    return Payload(metadata=_METADATA, data=head.encode("ascii") + packer.finish())


def is_raw_page(payload: Payload) -> bool:
    """Whether ``payload`` is a binary page (and not a JSON poll answer)."""
    return payload.metadata.get("encoding") == RAW_PAGE_ENCODING


def parse_raw_page(data: bytes) -> PollResult:
    """Read a binary page written by :func:`raw_page`.

    Raises:
        MalformedInput: the page does not follow the format; the message says where.
    """
    head, newline, packed = data.partition(b"\n")
    if not newline:
        raise MalformedInput("binary poll page has no newline after its head")
    page = parse_poll_result(head)
    inflate = zlib.decompressobj()
    try:
        items = inflate.decompress(packed, _MAX_UNPACKED_BYTES)
    except zlib.error as error:
        raise MalformedInput(f"binary poll page's items do not unpack: {error}") from None
    if inflate.unconsumed_tail:
        raise MalformedInput("binary poll page's items expand past 256 MiB")
    if not inflate.eof:
        raise MalformedInput("binary poll page's items end before their zlib stream does")
    try:
        page.items = _read_items(items)
    except IndexError as error:
        raise MalformedInput(f"binary poll page's items are cut short: {error}") from None
    except UnicodeDecodeError as error:
        raise MalformedInput(f"binary poll page has a topic that is not UTF-8: {error}") from None
    return page


def _read_items(data: bytes) -> list[WireItem | RawItem]:
    """The items of an unpacked item stream, in order."""
    topics: list[str] = []
    items: list[WireItem | RawItem] = []
    offset = -1
    pos = 0
    end = len(data)
    while pos < end:
        # One-byte varints (the usual topic index and gap) are read without a call.
        ref = data[pos]
        if ref < 0x80:
            pos += 1
        else:
            ref, pos = _read_varint(data, pos)
        if ref == len(topics):
            size, pos = _read_varint(data, pos)
            topics.append(_take(data, pos, size).decode("utf-8", "surrogatepass"))
            pos += size
        elif ref > len(topics):
            raise MalformedInput(f"binary poll page item {len(items)} names unknown topic {ref}")
        gap = data[pos]
        if gap < 0x80:
            pos += 1
        else:
            gap, pos = _read_varint(data, pos)
        offset += gap + 1
        kind_size, pos = _read_varint(data, pos)
        size = kind_size >> 1
        body = _take(data, pos, size)
        pos += size
        if kind_size & 1:
            items.append(WireItem(topics[ref], body.decode("utf-8", "surrogatepass"), offset))
        else:
            items.append(RawItem(topics[ref], body, offset))
    return items


def _take(data: bytes, pos: int, size: int) -> bytes:
    if pos + size > len(data):
        raise IndexError(f"{size} bytes wanted at byte {pos} of {len(data)}")
    return data[pos : pos + size]


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    value = 0
    shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            raise MalformedInput(f"binary poll page has a varint longer than 64 bits at byte {pos}")
