"""One subscription read through its client's shared poller, or on its own while behind it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle

from wstream.codec import PayloadCodec
from wstream.errors import ItemDecodeError
from wstream.item import WorkflowStreamItem
from wstream.metrics import stream_metrics
from wstream.pages import PageReader, PollStats, record_delivery
from wstream.shared_poller import SharedPoller
from wstream.sharing import poller_key, registry

logger = logging.getLogger(__name__)

#: Most delivered items held before they are counted (a subscriber that never waits).
_COUNT_EVERY_ITEMS = 1000


class SharedSubscription:
    """Reads one subscription's items through the shared poller of its Temporal client.

    The subscription keeps its own cursor (the next offset it needs). While the poller holds
    that offset, it reads the poller's items with the other subscribers and waits with them
    for new ones; when the offset is older than what the poller holds (a subscription from an
    older offset, or a slow one the poller moved past), it reads by poll query on its own until
    it reaches an offset the poller holds, then reads from the poller again. It joins the
    poller when it starts reading and leaves it when its items are closed; the last one to
    leave stops the poller.
    """

    def __init__(
        self,
        client: Client,
        workflow_id: str,
        topics: list[str],
        *,
        from_offset: int,
        codec_for_topic: Callable[[str], PayloadCodec[Any]],
        poll_cooldown: float,
        stats: PollStats,
    ) -> None:
        """Prepare a subscription to ``topics`` of ``workflow_id``'s stream from ``from_offset``.

        Args:
            client: The Temporal client whose shared pollers serve the subscription.
            workflow_id: The workflow hosting the stream.
            topics: Topics to read (empty: all).
            from_offset: The first offset to read.
            codec_for_topic: Decodes the items of each topic.
            poll_cooldown: Pause between polls while items flow, in seconds.
            stats: The subscribing client's counters; the shared poller's work counts there
                too, and this subscription's own catch-up queries count only there.
        """
        self._client = client
        self._workflow_id = workflow_id
        self._topics = topics
        self._cursor = from_offset
        self._codec_for_topic = codec_for_topic
        self._cooldown = poll_cooldown
        self._stats = stats
        self._metrics = stream_metrics(client)
        #: Items delivered and not counted yet: counted once per wait, not once per item.
        self._delivered: list[WorkflowStreamItem[Any]] = []

    def _latest(self) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(self._workflow_id)

    def _run(self, run_id: str) -> WorkflowHandle[Any, Any]:
        return self._client.get_workflow_handle(self._workflow_id, run_id=run_id)

    async def items(self) -> AsyncGenerator[WorkflowStreamItem[Any], None]:
        """Yield the subscription's items in offset order until the stream's end."""
        pollers = registry(self._client)
        poller = pollers.join(
            poller_key(self._workflow_id, self._topics),
            latest=self._latest,
            run_handle=self._run,
            start_offset=self._cursor,
            poll_cooldown=self._cooldown,
        )
        poller.stats.mirror(self._stats)
        # Looked up once per topic and batch of items, not once per item; again after each
        # wait, as PageReader does per page (a topic may be bound to a type meanwhile).
        codecs: dict[str, PayloadCodec[Any]] = {}
        try:
            while True:
                seq = poller.position(self._cursor)
                if seq is None:
                    # Closed explicitly, so a subscription that leaves mid-backlog stops
                    # counting as catching up at once, not when the reader is collected.
                    async with contextlib.aclosing(self._catch_up(poller)) as backlog:
                        async for item in backlog:
                            yield item
                    continue
                member = poller.attach(seq)
                try:
                    while member.seq >= poller.first_seq:  # else the poller moved past it
                        if member.seq < poller.next_seq:
                            wire = poller.item(member.seq)
                            poller.advance(member)
                            if wire.offset < self._cursor:
                                continue  # read before (the poller started behind it)
                            self._cursor = wire.offset + 1
                            yield self._decode(wire, codecs)
                        elif poller.error is not None:
                            raise poller.error
                        elif poller.ended:
                            return
                        else:
                            codecs.clear()
                            self._count_delivered()
                            await poller.wait_past(member.seq)
                finally:
                    poller.detach(member)
                logger.debug(
                    "workflow stream %s: a subscriber fell %d items behind the shared poller; "
                    "reading from offset %d on its own",
                    self._workflow_id,
                    poller.next_seq - member.seq,
                    self._cursor,
                )
        finally:
            self._count_delivered()
            poller.stats.unmirror(self._stats)
            pollers.leave(poller)
            task = poller.task
            if poller.subscribers <= 0 and task is not None:
                # The last one out sees the poller's task end, so no task outlives the
                # subscriptions (asyncio.wait: a cancellation of this one still propagates).
                await asyncio.wait({task})

    async def _catch_up(
        self, poller: SharedPoller
    ) -> AsyncGenerator[WorkflowStreamItem[Any], None]:
        """Read by poll query from the cursor until it reaches :attr:`SharedPoller.low`."""
        pages = PageReader(
            self._latest,
            topics=self._topics,
            from_offset=self._cursor,
            codec_for_topic=self._codec_for_topic,
            poll_cooldown=self._cooldown,
            stats=self._stats,
            run_handle=self._run,
            metrics=self._metrics,
        )
        poller.catching_up += 1
        try:
            while self._cursor < poller.low:
                # A page is decoded whole but may be yielded in part: ask from the cursor.
                pages.offset = self._cursor
                page = await pages.query()
                for item in pages.decode(page):
                    self._cursor = item.offset + 1
                    yield item
                    if self._cursor >= poller.low:
                        return
                # Past a truncation, or past items outside the filter, nothing more is owed.
                self._cursor = pages.offset
                if not page.more_ready and self._cursor < poller.low:
                    # The poller read past this answer's end: newer items are on their way.
                    await asyncio.sleep(pages.cooldown)
        finally:
            pages.close()
            poller.catching_up -= 1

    def _decode(
        self, wire: WorkflowStreamItem[Payload], codecs: dict[str, PayloadCodec[Any]]
    ) -> WorkflowStreamItem[Any]:
        codec = codecs.get(wire.topic)
        if codec is None:
            codec = codecs[wire.topic] = self._codec_for_topic(wire.topic)
        try:
            value = codec.decode(wire.data)
        except Exception as error:
            raise ItemDecodeError(wire.topic, wire.offset, wire.data, error) from error
        item = WorkflowStreamItem(
            wire.topic, value, wire.offset, wire.traceparent, wire.published_at
        )
        self._delivered.append(item)
        if len(self._delivered) >= _COUNT_EVERY_ITEMS:
            self._count_delivered()
        return item

    def _count_delivered(self) -> None:
        delivered, self._delivered = self._delivered, []
        if delivered:
            record_delivery(self._metrics, delivered)
