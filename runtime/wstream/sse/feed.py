"""One shared subscription per workflow and topic filter, buffering its latest items."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import RawValue

from wstream.client import WorkflowStreamClient
from wstream.item import WorkflowStreamItem
from wstream.json_view import json_items
from wstream.pages import PollStats
from wstream.sse.tasks import bounded

logger = logging.getLogger(__name__)

#: How long the feed waits for the end offset of a workflow that ended.
_END_OFFSET_TIMEOUT_SECONDS = 5.0
#: Times the end offset is asked when the query fails at once, and the pause between.
_END_OFFSET_ATTEMPTS = 3
_END_OFFSET_RETRY_SECONDS = 0.2


class FeedStopped(RuntimeError):
    """The feed was stopped while a connection still read from it (the app is shutting down)."""


class Feed:
    """Follows one workflow's stream for every connection with the same topic filter.

    The feed keeps the most recent ``capacity`` items it read. Each item gets a sequence
    number (its position in the feed), so a connection already reading the feed steps to the
    next item in constant time; a connection joins by offset (:meth:`position`), because with
    a topic filter the offsets of the items are not contiguous.

    Every item of the filter at or after :attr:`low` is held or is still to come; a
    connection whose next offset is below it reads on its own until it reaches it.
    """

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        topics: tuple[str, ...],
        *,
        start_offset: int,
        capacity: int,
        poll_cooldown: timedelta,
    ) -> None:
        """Prepare a feed that will read from ``start_offset`` once :meth:`start` is called."""
        self.workflow_id = workflow_id
        self.topics = topics
        #: Connections reading from (or catching up to) this feed.
        self.connections = 0
        #: Connections currently reading their backlog on their own.
        self.catching_up = 0
        self._stream = WorkflowStreamClient.create(client, workflow_id)
        self._converter = client.data_converter.payload_converter
        self._capacity = capacity
        self._poll_cooldown = poll_cooldown
        self._items: deque[WorkflowStreamItem[Any]] = deque()
        self._first_seq = 0
        self._low = start_offset
        self._moved = asyncio.Event()
        self._ended = False
        self._error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._on_finish: Callable[[Feed], None] | None = None
        self._end_offset: int | None = None

    # -- state read by connections and the registry ----------------------------------------

    @property
    def low(self) -> int:
        """The oldest offset from which the feed can serve every item of its filter."""
        return self._low

    @property
    def first_seq(self) -> int:
        """Sequence number of the oldest held item."""
        return self._first_seq

    @property
    def next_seq(self) -> int:
        """Sequence number the next item read will get."""
        return self._first_seq + len(self._items)

    @property
    def buffered(self) -> int:
        """How many items the feed holds."""
        return len(self._items)

    @property
    def finished(self) -> bool:
        """Whether the feed reads no more: the workflow ended, or the feed failed or stopped."""
        return self._ended or self._error is not None

    @property
    def ended(self) -> bool:
        """Whether the workflow ended and the feed holds or has passed on its last item."""
        return self._ended

    @property
    def error(self) -> BaseException | None:
        """Why the feed stopped reading before the workflow ended, if it did."""
        return self._error

    @property
    def poll_stats(self) -> PollStats:
        """Queries and long-polls made by the feed's one subscription."""
        return self._stream.poll_stats

    def position(self, offset: int) -> int | None:
        """Return the sequence number of the first item at or after ``offset``.

        Returns ``None`` when ``offset`` is older than :attr:`low`: items the connection
        needs may be gone from the buffer. A sequence number equal to :attr:`next_seq` means
        the connection waits for the next item.
        """
        if offset < self._low:
            return None
        index = bisect.bisect_left(self._items, offset, key=_offset_of)
        return self._first_seq + index

    def item(self, seq: int) -> WorkflowStreamItem[Any]:
        """Return the held item with sequence number ``seq`` (``first_seq <= seq < next_seq``)."""
        return self._items[seq - self._first_seq]

    async def wait_past(self, seq: int) -> None:
        """Return once the item ``seq`` is held or the feed has finished."""
        while seq >= self.next_seq and not self.finished:
            # No await between the check and taking the event, and every change sets the
            # current event before replacing it: no wake-up can be missed.
            await self._moved.wait()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, on_finish: Callable[[Feed], None]) -> None:
        """Start following the stream in a background task.

        Args:
            on_finish: Called with the feed as soon as it reads no more (the workflow ended,
                the feed failed, or it was stopped), before any connection learns of it.
        """
        if self._task is not None:
            raise RuntimeError(f"feed of workflow {self.workflow_id!r} is already started")
        self._on_finish = on_finish
        self._task = asyncio.create_task(
            self._follow(), name=f"wstream-sse-feed:{self.workflow_id}"
        )

    def stop(self) -> None:
        """Stop reading (the last connection left); the task ends at its next await."""
        # Marked here and not only in the task: a task cancelled before it ever ran never
        # gets to its own exception handler.
        self._finish(FeedStopped(f"the shared feed of workflow {self.workflow_id!r} was stopped"))
        if self._task is not None:
            self._task.cancel()

    def end_offset(self) -> int:
        """Return the stream's end offset, asked once by the feed when the workflow ended.

        Raises:
            LookupError: the workflow has not ended, or its end offset could not be read.
        """
        if self._end_offset is None:
            raise LookupError(f"end offset of workflow {self.workflow_id!r} is unknown")
        return self._end_offset

    async def _follow(self) -> None:
        raw = self._stream.subscribe(
            list(self.topics), self._low, result_type=RawValue, poll_cooldown=self._poll_cooldown
        )
        # Decoded once here, for every connection: each item as its JSON view.
        items = json_items(raw, self._converter)
        try:
            async for item in items:
                self._items.append(item)
                if len(self._items) > self._capacity:
                    dropped = self._items.popleft()
                    self._first_seq += 1
                    self._low = dropped.offset + 1
                self._wake()
            # Asked once here rather than by every connection for its end frame: queries
            # on a closed workflow make its worker replay the history.
            self._end_offset = await self._closed_end_offset()
            self._finish(None)
        except asyncio.CancelledError:
            self._finish(FeedStopped(f"the shared feed of workflow {self.workflow_id!r} stopped"))
            raise
        except Exception as error:
            logger.warning("shared feed of workflow %r failed: %s", self.workflow_id, error)
            self._finish(error)
        finally:
            with contextlib.suppress(Exception):
                await items.aclose()  # type: ignore[attr-defined]

    async def _closed_end_offset(self) -> int | None:
        """The closed stream's end offset, or None when it cannot be read in time.

        A query that fails at once (the closed run's worker still busy with it, say) is asked
        again, up to :data:`_END_OFFSET_ATTEMPTS` times; one that runs out of time is not.
        """
        for attempt in range(1, _END_OFFSET_ATTEMPTS + 1):
            try:
                return await bounded(
                    self._stream.get_offset(), _END_OFFSET_TIMEOUT_SECONDS, "the end offset query"
                )
            except asyncio.TimeoutError as error:
                logger.info(
                    "workflow %r ended; end offset unavailable: %s", self.workflow_id, error
                )
                return None
            except Exception as error:
                logger.info(
                    "workflow %r ended; end offset query %d of %d failed: %s",
                    self.workflow_id,
                    attempt,
                    _END_OFFSET_ATTEMPTS,
                    error,
                )
                if attempt < _END_OFFSET_ATTEMPTS:
                    await asyncio.sleep(_END_OFFSET_RETRY_SECONDS)
        return None

    def _finish(self, error: BaseException | None) -> None:
        if self.finished:
            return
        self._ended = error is None
        self._error = error
        self._wake()
        if self._on_finish is not None:
            self._on_finish(self)

    def _wake(self) -> None:
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()


def _offset_of(item: WorkflowStreamItem[Any]) -> int:
    return item.offset
