"""The client's bounded publish buffer, cut into byte-bounded batches."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii

from wstream.errors import BufferFullError, ItemTooLargeError

#: Widest sequence number the envelope reserves room for: the other SDKs keep it in an int64.
SEQUENCE_DIGITS = 19
#: Length of a publisher id (16 hex characters).
PUBLISHER_ID_LENGTH = 16
#: Bytes of the batch envelope around its items, as the publisher writes it (compact JSON)::
#:
#:     {"items":[...],"publisher_id":"<id>","sequence":<n>}
#:
#: with the sequence counted at its widest and one item separator taken back (each item
#: counts the comma before the next one, and the last item has none).
ENVELOPE_OVERHEAD = (
    len('{"items":[],"publisher_id":"","sequence":}') + PUBLISHER_ID_LENGTH + SEQUENCE_DIGITS - 1
)
#: JSON bytes of one item besides its topic and data, with the comma that follows it:
#: ``{"topic":,"data":""},``.
ITEM_OVERHEAD = len('{"topic":,"data":""},')


@dataclass(frozen=True)
class BufferedItem:
    """One encoded item waiting to be sent."""

    topic: str
    data: str
    size: int


def item_wire_size(topic: str, data: str) -> int:
    """Return the bytes one item adds to a publish signal's JSON envelope.

    Exact for the envelope the publisher writes (``json.dumps`` with its default
    ``ensure_ascii``): the topic counts as its quoted, escaped JSON string (a quote or a
    backslash takes two bytes, a control or non-ASCII character six or twelve; a plain
    ``len(topic) + 2`` under-counts them), and ``data`` is base64, carried unescaped.

    Args:
        topic: The item's topic.
        data: The item's wire form (base64 of its serialized payload).

    Returns:
        The item's bytes in the batch, including the comma that separates it from the next.
    """
    return len(encode_basestring_ascii(topic)) + len(data) + ITEM_OVERHEAD


class Batcher:
    """Buffers encoded items under item and byte bounds and hands them out in batches.

    A batch never holds more than ``max_batch_size`` items (when set) nor more than
    ``max_batch_bytes`` bytes of signal envelope, so a burst of any size becomes several
    signals that each fit well under Temporal's payload limits.
    """

    def __init__(
        self,
        *,
        max_batch_bytes: int,
        max_batch_size: int | None,
        max_buffer_items: int,
        max_buffer_bytes: int,
    ) -> None:
        """Set the batch and buffer bounds."""
        if max_batch_bytes <= ENVELOPE_OVERHEAD + ITEM_OVERHEAD:
            raise ValueError(f"max_batch_bytes={max_batch_bytes} leaves no room for any item")
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self.max_batch_bytes = max_batch_bytes
        self.max_batch_size = max_batch_size
        self.max_buffer_items = max_buffer_items
        self.max_buffer_bytes = max_buffer_bytes
        self._items: deque[BufferedItem] = deque()
        self.buffered_bytes = 0
        #: Items ever accepted by :meth:`add`; flush targets are expressed in this count.
        self.accepted_total = 0

    def __len__(self) -> int:
        return len(self._items)

    def check(self, topic: str, data: str) -> BufferedItem:
        """Return the buffered form of an item, refusing one that could never be sent.

        Raises:
            ItemTooLargeError: the item alone exceeds the batch byte budget.
        """
        size = item_wire_size(topic, data)
        if size + ENVELOPE_OVERHEAD > self.max_batch_bytes:
            raise ItemTooLargeError(topic, size, self.max_batch_bytes - ENVELOPE_OVERHEAD)
        return BufferedItem(topic, data, size)

    def has_room(self, item: BufferedItem) -> bool:
        """Whether ``item`` fits in the buffer now (an empty buffer always takes one item)."""
        if not self._items:
            return True
        return (
            len(self._items) < self.max_buffer_items
            and self.buffered_bytes + item.size <= self.max_buffer_bytes
        )

    def add(self, item: BufferedItem) -> None:
        """Append an item, refusing it when the buffer is at its bound.

        Raises:
            BufferFullError: the buffer holds ``max_buffer_items`` items or
                ``max_buffer_bytes`` bytes already.
        """
        if not self.has_room(item):
            raise BufferFullError(
                item.topic,
                len(self._items),
                self.buffered_bytes,
                self.max_buffer_items,
                self.max_buffer_bytes,
            )
        self._items.append(item)
        self.buffered_bytes += item.size
        self.accepted_total += 1

    def batch_ready(self) -> bool:
        """Whether the buffer already holds at least one full batch."""
        if self.max_batch_size is not None and len(self._items) >= self.max_batch_size:
            return True
        return self.buffered_bytes + ENVELOPE_OVERHEAD >= self.max_batch_bytes

    def take_batch(self) -> list[BufferedItem]:
        """Remove and return the next batch (empty when nothing is buffered)."""
        batch: list[BufferedItem] = []
        size = ENVELOPE_OVERHEAD
        limit = self.max_batch_size
        while self._items:
            item = self._items[0]
            if batch and (size + item.size > self.max_batch_bytes or len(batch) == limit):
                break
            batch.append(self._items.popleft())
            size += item.size
            self.buffered_bytes -= item.size
        return batch
