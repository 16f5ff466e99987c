"""The client's bounded publish buffer, cut into byte-bounded batches."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from wstream.errors import BufferFullError, ItemTooLargeError
from wstream.wire import PUBLISH_OVERHEAD, entry_json, entry_size


class BufferedItem(NamedTuple):
    """One encoded item waiting to be sent.

    A tuple, not a dataclass: one is made per ``publish()`` call, and a frozen dataclass
    costs several times as much to build.
    """

    topic: str
    data: str
    #: Bytes the item adds to a publish batch (:func:`~wstream.wire.entry_size`).
    size: int
    #: The item's JSON in the batch (:func:`~wstream.wire.entry_json`), written once here so
    #: that building a batch only joins texts.
    entry: str
    #: The trace context the item was published under (it travels in the item's payload; kept
    #: here so the flush span can link to it).
    traceparent: str | None = None


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
        if max_batch_bytes < PUBLISH_OVERHEAD + entry_size("", ""):
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

    def check(
        self, topic: str, data: str, entry: str | None = None, traceparent: str | None = None
    ) -> BufferedItem:
        """Return the buffered form of an item, refusing one that could never be sent.

        ``entry`` is the item's :func:`~wstream.wire.entry_json`, when the caller has it;
        ``traceparent`` the trace context its payload carries.

        Raises:
            ItemTooLargeError: the item alone exceeds the batch byte budget.
        """
        if entry is None:
            entry = entry_json(topic, data)
        size = len(entry) + 1  # the comma after it: entry_size(topic, data)
        if size + PUBLISH_OVERHEAD > self.max_batch_bytes:
            raise ItemTooLargeError(topic, size, self.max_batch_bytes - PUBLISH_OVERHEAD)
        return BufferedItem(topic, data, size, entry, traceparent)

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
        return self.buffered_bytes + PUBLISH_OVERHEAD >= self.max_batch_bytes

    def take_batch(self) -> list[BufferedItem]:
        """Remove and return the next batch (empty when nothing is buffered)."""
        batch: list[BufferedItem] = []
        size = PUBLISH_OVERHEAD
        limit = self.max_batch_size
        while self._items:
            item = self._items[0]
            if batch and (size + item.size > self.max_batch_bytes or len(batch) == limit):
                break
            batch.append(self._items.popleft())
            size += item.size
            self.buffered_bytes -= item.size
        return batch
