"""Reads a stream a page at a time through the poll query and decodes pages in offset order."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHandle
from temporalio.common import RawValue
from temporalio.service import RPCError

from wstream.codec import PayloadCodec
from wstream.errors import ItemDecodeError, stream_errors
from wstream.item import WorkflowStreamItem
from wstream.publisher import is_retryable
from wstream.wire import POLL_HANDLER, PollInput, decode_payload

logger = logging.getLogger(__name__)

#: A poll query in flight when a run closes can go unanswered until the server's 30 s
#: deadline; give up sooner and ask again (the retry reaches the next run or the closed one).
_QUERY_TIMEOUT = timedelta(seconds=10)
#: Longest pause between retries of a query the server could not take (e.g. a full buffer).
_MAX_RETRY_DELAY_SECONDS = 2.0


@dataclass
class PollStats:
    """Counters of one client's subscriptions, for logs and tests."""

    queries: int = 0
    long_polls: int = 0
    items_skipped: int = 0


@dataclass
class Page:
    """One answer of the poll query or update, as read off the wire (items still encoded)."""

    items: list[dict[str, Any]]
    next_offset: int
    more_ready: bool
    base_offset: int | None


def parse_page(raw: RawValue, workflow_id: str) -> Page:
    """Read a poll answer's JSON body.

    Raises:
        ValueError: the body is not a JSON object; the message names the workflow.
    """
    body = json.loads(raw.payload.data)
    if not isinstance(body, dict):
        raise ValueError(
            f"workflow {workflow_id!r} answered the poll with {type(body).__name__}, "
            "not a JSON object"
        )
    return Page(
        body.get("items") or [],
        int(body.get("next_offset", 0)),
        bool(body.get("more_ready", False)),
        body.get("base_offset"),
    )


class PageReader:
    """Asks for the page at :attr:`offset` and decodes it, advancing :attr:`offset`.

    Retryable RPC failures are retried with a doubling pause, so a caller sees a page or an
    error that retrying cannot fix. A truncated offset moves to the retained base, counted in
    ``stats.items_skipped`` and logged.
    """

    def __init__(
        self,
        handle: Callable[[], WorkflowHandle[Any, Any]],
        *,
        topics: list[str],
        from_offset: int,
        codec_for_topic: Callable[[str], PayloadCodec[Any]],
        poll_cooldown: float,
        stats: PollStats,
    ) -> None:
        """Read ``topics`` from ``from_offset``; ``handle`` returns the handle of the latest run."""
        self.handle = handle
        self.topics = topics
        #: The next offset to read: every item of the filter before it has been decoded.
        self.offset = from_offset
        self._codec_for_topic = codec_for_topic
        #: Seconds between polls while items flow; the first pause before a retry.
        self.cooldown = max(poll_cooldown, 0.001)
        self.stats = stats

    async def query(self) -> Page:
        """Return the page at :attr:`offset`, retrying what the server could not take."""
        request = PollInput(topics=self.topics, from_offset=self.offset)
        delay = self.cooldown
        while True:
            self.stats.queries += 1
            handle = self.handle()
            try:
                with stream_errors(handle.id):
                    raw = await handle.query(
                        POLL_HANDLER, request, result_type=RawValue, rpc_timeout=_QUERY_TIMEOUT
                    )
                return parse_page(raw, handle.id)
            except RPCError as error:
                if not is_retryable(error):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_DELAY_SECONDS)

    def decode(self, page: Page) -> list[WorkflowStreamItem[Any]]:
        """Decode the page's items not read yet and move :attr:`offset` past the page.

        Raises:
            ItemDecodeError: an item does not decode; it names the topic and offset.
        """
        if page.base_offset is not None and self.offset < page.base_offset:
            self._skip_to(page.base_offset)
        decoded: list[WorkflowStreamItem[Any]] = []
        for wire in page.items:
            offset = int(wire["offset"])
            if offset < self.offset:
                continue  # already read (an official workflow may send a page again)
            topic = wire["topic"]
            payload = decode_payload(wire["data"])
            decoded.append(
                WorkflowStreamItem(topic, self._decode_one(topic, offset, payload), offset)
            )
            self.offset = offset + 1
        # Past the items the topic filter left out, too.
        self.offset = max(self.offset, page.next_offset)
        return decoded

    def _skip_to(self, base_offset: int) -> None:
        skipped = base_offset - self.offset
        # From offset 0 the reader asked for "everything retained", so nothing was skipped.
        if self.offset > 0:
            self.stats.items_skipped += skipped
            logger.warning(
                "workflow stream %s: offset %d was truncated; skipped %d items and "
                "resumed at offset %d",
                self.handle().id,
                self.offset,
                skipped,
                base_offset,
            )
        self.offset = base_offset

    def _decode_one(self, topic: str, offset: int, payload: Payload) -> Any:
        try:
            return self._codec_for_topic(topic).decode(payload)
        except Exception as error:
            raise ItemDecodeError(topic, offset, payload, error) from error
