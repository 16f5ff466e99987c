"""The client's bounded publish buffer, cut into byte-bounded batches."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

from wstream.errors import BufferFullError, ItemTooLargeError
from wstream.item_context import HEAD_RESERVE, with_trace_run
from wstream.wire import PUBLISH_OVERHEAD, body_entry_size, json_string_size


class BufferedItem(NamedTuple):
    """One encoded item waiting to be sent.

    A tuple, not a dataclass: one is made per ``publish()`` call, and a frozen dataclass
    costs several times as much to build. The item is kept as its serialized payload: the
    base64 and JSON around it are written when its batch is sent
    (:func:`~wstream.wire.encode_publish_bodies`), not by the ``publish()`` call.
    """

    topic: str
    #: The item's serialized ``Payload`` (its wire form is the base64 of these bytes).
    body: bytes
    #: Bytes the item adds to a publish batch (:func:`~wstream.wire.entry_size`).
    size: int
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
        if max_batch_bytes < PUBLISH_OVERHEAD + body_entry_size(2, 0):
            raise ValueError(f"max_batch_bytes={max_batch_bytes} leaves no room for any item")
        if max_batch_size is not None and max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        self.max_batch_bytes = max_batch_bytes
        self.max_batch_size = max_batch_size
        self.max_buffer_items = max_buffer_items
        self.max_buffer_bytes = max_buffer_bytes
        self._items: deque[BufferedItem] = deque()
        #: Buffered items published under a trace context (none: batches are cut plainly).
        self._traced = 0
        #: JSON size of each topic's name, measured once per topic.
        self._topic_sizes: dict[str, int] = {}
        self.buffered_bytes = 0
        #: Items ever accepted by :meth:`add`; flush targets are expressed in this count.
        self.accepted_total = 0

    def __len__(self) -> int:
        return len(self._items)

    def check(self, topic: str, body: bytes, traceparent: str | None = None) -> BufferedItem:
        """Return the buffered form of an item, refusing one that could never be sent.

        Args:
            topic: The item's topic.
            body: The item's serialized payload.
            traceparent: The trace context it was published under.

        Raises:
            ItemTooLargeError: the item alone exceeds the batch byte budget.
        """
        size = body_entry_size(self._topic_size(topic), len(body))
        # An item with a trace context may become its run's first item, which carries it.
        room = self.max_batch_bytes - PUBLISH_OVERHEAD - (HEAD_RESERVE if traceparent else 0)
        if size > room:
            raise ItemTooLargeError(topic, size, room)
        return BufferedItem(topic, body, size, traceparent)

    def _topic_size(self, topic: str) -> int:
        size = self._topic_sizes.get(topic)
        if size is None:
            size = self._topic_sizes[topic] = json_string_size(topic)
        return size

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
        if item.traceparent is not None:
            self._traced += 1
        self.buffered_bytes += item.size
        self.accepted_total += 1

    def batch_ready(self) -> bool:
        """Whether the buffer already holds at least one full batch."""
        if self.max_batch_size is not None and len(self._items) >= self.max_batch_size:
            return True
        return self.buffered_bytes + PUBLISH_OVERHEAD >= self.max_batch_bytes

    def batches_waiting(self) -> int:
        """About how many full batches the buffer holds (by items or by bytes, the larger)."""
        by_bytes = self.buffered_bytes // (self.max_batch_bytes - PUBLISH_OVERHEAD)
        if self.max_batch_size is None:
            return by_bytes
        return max(by_bytes, len(self._items) // self.max_batch_size)

    def take_batch(self) -> list[BufferedItem]:
        """Remove and return the next batch (empty when nothing is buffered).

        Items published under a trace context come out with it written into the first item
        of each trace run; the byte budget keeps room for that.
        """
        if not self._traced:
            return self._take_plain()
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
            self._traced -= item.traceparent is not None
        return self._with_trace_runs(batch) if heads else batch

    def _take_plain(self) -> list[BufferedItem]:
        """:meth:`take_batch` when no buffered item carries a trace context: sizes only."""
        items = self._items
        room = self.max_batch_bytes - PUBLISH_OVERHEAD
        most = len(items) if self.max_batch_size is None else self.max_batch_size
        count = taken = 0
        for item in items:
            if count and (taken + item.size > room or count == most):
                break
            taken += item.size
            count += 1
        self.buffered_bytes -= taken
        return [items.popleft() for _ in range(count)]

    def _with_trace_runs(self, batch: list[BufferedItem]) -> list[BufferedItem]:
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
            topic, body, _, traceparent = batch[first]
            if traceparent is not None:  # always so: a run starts at an item with a context
                body = with_trace_run(body, traceparent, length)
                size = body_entry_size(self._topic_size(topic), len(body))
                marked[first] = BufferedItem(topic, body, size, traceparent)
        return marked
