"""The client's bounded publish buffer, cut into byte-bounded batches."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from wstream.errors import BufferFullError, ItemTooLargeError
from wstream.item_context import HEAD_RESERVE, with_trace_run
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
    #: The trace context the item was published under; the batch writes it into the first
    #: item of each trace run (see :mod:`wstream.item_context`).
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
        # An item with a trace context may become its run's first item, which carries it.
        room = self.max_batch_bytes - PUBLISH_OVERHEAD - (HEAD_RESERVE if traceparent else 0)
        if size > room:
            raise ItemTooLargeError(topic, size, room)
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
        """Remove and return the next batch (empty when nothing is buffered).

        Items published under a trace context come out with it written into the first item
        of each trace run; the byte budget keeps room for that.
        """
        batch: list[BufferedItem] = []
        size = PUBLISH_OVERHEAD
        limit = self.max_batch_size
        #: Per topic, the trace context of its last item in the batch so far.
        contexts: dict[str, str | None] = {}
        heads = 0
        while self._items:
            item = self._items[0]
            head = item.traceparent is not None and contexts.get(item.topic) != item.traceparent
            cost = item.size + (HEAD_RESERVE if head else 0)
            if batch and (size + cost > self.max_batch_bytes or len(batch) == limit):
                break
            batch.append(self._items.popleft())
            size += cost
            heads += head
            contexts[item.topic] = item.traceparent
            self.buffered_bytes -= item.size
        return _with_trace_runs(batch) if heads else batch


def _with_trace_runs(batch: list[BufferedItem]) -> list[BufferedItem]:
    """The batch with each trace run's context written into the run's first item."""
    # A run: consecutive items of one topic (counted within the topic) sharing a context.
    runs: list[tuple[int, int]] = []  # (index of the run's first item, its length)
    open_runs: dict[str, tuple[str | None, int]] = {}  # topic -> (context, index in runs)
    for index, item in enumerate(batch):
        current = open_runs.get(item.topic)
        if item.traceparent is None:
            open_runs[item.topic] = (None, -1)
        elif current is not None and current[0] == item.traceparent:
            first, length = runs[current[1]]
            runs[current[1]] = (first, length + 1)
        else:
            open_runs[item.topic] = (item.traceparent, len(runs))
            runs.append((index, 1))
    marked = list(batch)
    for first, length in runs:
        topic, data, _, _, traceparent = batch[first]
        if traceparent is not None:  # always so: a run starts at an item with a context
            data = with_trace_run(data, traceparent, length)
            entry = entry_json(topic, data)
            marked[first] = BufferedItem(topic, data, len(entry) + 1, entry, traceparent)
    return marked
