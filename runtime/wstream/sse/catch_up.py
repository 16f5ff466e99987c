"""Reads one connection's backlog by poll query until it reaches an offset a shared feed holds."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncGenerator, Callable
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.service import RPCError

from wstream.codec import PayloadCodec, codec_for
from wstream.errors import ItemDecodeError, stream_errors
from wstream.item import WorkflowStreamItem
from wstream.publisher import is_retryable
from wstream.wire import POLL_HANDLER, PollInput, decode_payload

logger = logging.getLogger(__name__)

#: Longest pause between retries of a query the server could not take (e.g. a full buffer).
_MAX_RETRY_DELAY_SECONDS = 2.0
#: Deadline of one poll query. A query that reaches the worker as the run closes (completion
#: or continue-as-new) can go unanswered; past the deadline it is sent again.
_QUERY_TIMEOUT = timedelta(seconds=10)


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
        self._client = client
        self._workflow_id = workflow_id
        self._topics = topics
        self._cooldown = poll_cooldown
        self._codec: PayloadCodec[Any] = codec_for(Any, client.data_converter.payload_converter)
        #: The next offset to read: every item of the filter before it has been yielded.
        self.cursor = from_offset
        #: Poll queries sent, retries included.
        self.queries = 0

    async def items(
        self, until: Callable[[], int]
    ) -> AsyncGenerator[WorkflowStreamItem[Any], None]:
        """Yield items in offset order until :attr:`cursor` reaches ``until()``.

        ``until`` is asked again after every item, since the feed's bound moves while the
        connection reads.
        """
        while self.cursor < until():
            page = await self._query()
            base = page.get("base_offset")
            if isinstance(base, int) and self.cursor < base:
                logger.warning(
                    "workflow stream %s: offset %d was truncated; resuming at offset %d",
                    self._workflow_id,
                    self.cursor,
                    base,
                )
                self.cursor = base
            for wire in page.get("items") or []:
                offset = int(wire["offset"])
                if offset < self.cursor:
                    continue  # an implementation may send a page again
                item = self._decode(wire["topic"], offset, wire["data"])
                self.cursor = offset + 1
                yield item
                if self.cursor >= until():
                    return
            self.cursor = max(self.cursor, int(page.get("next_offset", 0)))
            if not page.get("more_ready") and self.cursor < until():
                # The feed has read past this answer's end: newer items are on their way.
                await asyncio.sleep(self._cooldown)

    def _decode(self, topic: str, offset: int, data: str) -> WorkflowStreamItem[Any]:
        payload = decode_payload(data)
        try:
            value = self._codec.decode(payload)
        except Exception as error:
            raise ItemDecodeError(topic, offset, payload, error) from error
        return WorkflowStreamItem(topic, value, offset)

    async def _query(self) -> dict[str, Any]:
        request = PollInput(topics=self._topics, from_offset=self.cursor)
        delay = self._cooldown
        while True:
            self.queries += 1
            # The latest run of the chain: the stream may have continued as new.
            handle = self._client.get_workflow_handle(self._workflow_id)
            try:
                with stream_errors(self._workflow_id):
                    raw = await handle.query(
                        POLL_HANDLER, request, result_type=RawValue, rpc_timeout=_QUERY_TIMEOUT
                    )
            except RPCError as error:
                if not is_retryable(error):
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_RETRY_DELAY_SECONDS)
                continue
            body = json.loads(raw.payload.data)
            if not isinstance(body, dict):
                raise ValueError(
                    f"workflow {self._workflow_id!r} answered the poll query with "
                    f"{type(body).__name__}, not a JSON object"
                )
            return body
