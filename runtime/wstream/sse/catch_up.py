"""Reads one connection's backlog by poll query until it reaches an offset a shared feed holds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from typing import Any

from temporalio.client import Client

from wstream.item import WorkflowStreamItem
from wstream.json_view import JsonViewCodec
from wstream.pages import PageReader, PollStats


class CatchUp:
    """A connection's own reader of the items older than what the shared feed holds.

    It reads only through the poll query (nothing is written to history) and stops as soon
    as its next offset reaches the bound it is given, comparing offsets: with a topic
    filter the items' offsets have gaps, so only offsets (never counts) say where it is.
    """

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        topics: list[str],
        from_offset: int,
        *,
        poll_cooldown: float,
    ) -> None:
        """Prepare to read ``topics`` of ``workflow_id``'s stream from ``from_offset``."""
        codec = JsonViewCodec(client.data_converter.payload_converter)
        self._cooldown = poll_cooldown
        self._stats = PollStats()
        self._pages = PageReader(
            # The latest run of the chain: the stream may have continued as new.
            lambda: client.get_workflow_handle(workflow_id),
            topics=topics,
            from_offset=from_offset,
            codec_for_topic=lambda _topic: codec,
            poll_cooldown=poll_cooldown,
            stats=self._stats,
            # Older offsets of a long stream live in closed runs (sealed segments).
            run_handle=lambda run_id: client.get_workflow_handle(workflow_id, run_id=run_id),
        )
        #: The next offset to read: every item of the filter before it has been yielded.
        self.cursor = from_offset

    @property
    def queries(self) -> int:
        """Poll queries sent, retries included."""
        return self._stats.queries

    async def items(
        self, until: Callable[[], int]
    ) -> AsyncGenerator[WorkflowStreamItem[Any], None]:
        """Yield items in offset order until :attr:`cursor` reaches ``until()``.

        ``until`` is asked again after every item, since the feed's bound moves while the
        connection reads.
        """
        try:
            while self.cursor < until():
                # A page is decoded whole but may be yielded in part: ask from the cursor.
                self._pages.offset = self.cursor
                page = await self._pages.query()
                for item in self._pages.decode(page):
                    self.cursor = item.offset + 1
                    yield item
                    if self.cursor >= until():
                        return
                # Past a truncation, or past items outside the filter, nothing more is owed.
                self.cursor = self._pages.offset
                if not page.more_ready and self.cursor < until():
                    # The feed has read past this answer's end: newer items are on their way.
                    await asyncio.sleep(self._cooldown)
        finally:
            self._pages.close()
