"""One connection's items: from the shared feed when it holds them, else read on its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from temporalio.client import Client

from wstream.item import WorkflowStreamItem
from wstream.sse.catch_up import CatchUp
from wstream.sse.feed import Feed
from wstream.sse.registry import FeedRegistry


class SharedConnection:
    """Reads one connection's items through its app's shared feed.

    The connection keeps its own cursor (the next offset it needs). While the feed holds
    that offset, it reads the feed's buffer and waits with the other connections for new
    items; when the offset is older than the buffer (a backlog, or a slow client the buffer
    moved past), it reads with its own queries until it reaches an offset the feed holds,
    then goes back to the feed. It joins the feed when it starts reading and leaves it when
    its items are closed.
    """

    def __init__(
        self,
        registry: FeedRegistry,
        client: Client,
        workflow_id: str,
        topics: list[str],
        *,
        from_offset: int,
        start_offset: int,
        poll_cooldown: float,
    ) -> None:
        """Prepare a connection reading from ``from_offset``.

        Args:
            registry: The app's feeds.
            client: The Temporal client, for the connection's own catch-up queries.
            workflow_id: The workflow to follow.
            topics: Topics to read (empty: all).
            from_offset: The first offset to send.
            start_offset: Where a new feed starts: the stream's end offset, as just read.
            poll_cooldown: Pause between catch-up queries that found nothing new, in seconds.
        """
        self._registry = registry
        self._client = client
        self._workflow_id = workflow_id
        self._topics = topics
        self._cursor = from_offset
        self._start_offset = start_offset
        self._cooldown = poll_cooldown
        self._feed: Feed | None = None

    async def end_offset(self) -> int:
        """Return the stream's end offset for the end frame, as its feed read it once.

        Raises:
            LookupError: the offset is unknown; the end frame then carries the offset after
                the connection's last item.
        """
        if self._feed is None:
            raise LookupError(f"connection to workflow {self._workflow_id!r} never started")
        return self._feed.end_offset()

    async def items(self) -> AsyncIterator[WorkflowStreamItem[Any]]:
        """Yield the connection's items in offset order until the workflow's end."""
        feed = self._registry.join(self._workflow_id, self._topics, self._start_offset)
        self._feed = feed
        try:
            while True:
                seq = feed.position(self._cursor)
                if seq is None:
                    # Closed explicitly: a connection that leaves mid-backlog must not count
                    # as catching up until the garbage collector finalizes the reader.
                    async with contextlib.aclosing(self._catch_up(feed)) as backlog:
                        async for item in backlog:
                            yield item
                    continue
                while seq >= feed.first_seq:  # else the buffer moved past this connection
                    if seq < feed.next_seq:
                        item = feed.item(seq)
                        seq += 1
                        self._cursor = item.offset + 1
                        yield item
                    elif feed.error is not None:
                        raise feed.error
                    elif feed.ended:
                        return
                    else:
                        await feed.wait_past(seq)
        finally:
            self._registry.leave(feed)

    async def _catch_up(self, feed: Feed) -> AsyncGenerator[WorkflowStreamItem[Any], None]:
        reader = CatchUp(
            self._client,
            self._workflow_id,
            self._topics,
            self._cursor,
            poll_cooldown=self._cooldown,
        )
        feed.catching_up += 1
        try:
            async with contextlib.aclosing(reader.items(lambda: feed.low)) as items:
                async for item in items:
                    self._cursor = item.offset + 1
                    yield item
            self._cursor = reader.cursor
        finally:
            feed.catching_up -= 1
            self._registry.count_catch_up(reader.queries)
