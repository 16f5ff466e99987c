"""Follows a stream: backlog by query, tail by adaptive query polling and a rare long-poll."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import (
    WorkflowExecutionStatus,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from wstream.errors import POLLERS_BUSY, STREAM_DRAINING, TRUNCATED_OFFSET, stream_errors
from wstream.item import WorkflowStreamItem
from wstream.pages import PageReader, raise_if_cancelled, read_answer
from wstream.retry import is_retryable
from wstream.tail_pace import TailPace
from wstream.tracing import poll_span
from wstream.wire import POLL_HANDLER, PollInput, PollResult, encode_poll

logger = logging.getLogger(__name__)

_TERMINAL = frozenset(
    {
        WorkflowExecutionStatus.COMPLETED,
        WorkflowExecutionStatus.FAILED,
        WorkflowExecutionStatus.CANCELED,
        WorkflowExecutionStatus.TERMINATED,
        WorkflowExecutionStatus.TIMED_OUT,
    }
)
#: Quiet time after which the poller parks on a long-poll update instead of querying.
_IDLE_BEFORE_LONG_POLL_SECONDS = 3.0
#: After the workflow turned a long-poll away as busy, query for this long before asking again.
_BUSY_BACKOFF_SECONDS = 10.0
_STATUS_CHECK_SECONDS = 1.0
#: After a long-poll ended without an answer (timed out, refused), query at least this long
#: (or ten cooldowns, if longer) before the next one.
_LONG_POLL_RETRY_SECONDS = 1.0


class Poller:
    """Reads one subscription's items in order, following continue-as-new to the end.

    Backlog pages come from the poll *query*, which writes nothing to history. At the tail
    the poller keeps querying with a back-off that grows while the stream is quiet; only
    after a few seconds of quiet does it park on a poll *update* (asking a wstream workflow
    for the new end offset only), so history cost does not grow with the subscribers.
    """

    def __init__(self, pages: PageReader) -> None:
        """Follow the subscription ``pages`` reads, from its offset on."""
        self._pages = pages
        self._long_poll_allowed_at = 0.0

    async def items(self) -> AsyncIterator[WorkflowStreamItem[Any]]:
        """Yield items in offset order until the workflow has ended and all are read."""
        try:
            quiet_since: float | None = None
            pace = TailPace(self._pages.cooldown)
            last_status_check = 0.0
            while True:
                # Polls start on a fixed cadence: the query's own round trip and the consumer's
                # time between items count toward the cooldown instead of adding to it.
                started = time.monotonic()
                page = await self._pages.query()
                # A slow answer means the workflow's worker is congested (many subscribers):
                # wait at least as long as it took, so the load adapts to what the worker serves.
                congestion = time.monotonic() - started
                for item in self._pages.decode(page):
                    yield item
                if page.more_ready:
                    continue
                if page.items:
                    quiet_since = None
                    pace.items_arrived()
                    await asyncio.sleep(
                        max(congestion, started + self._pages.cooldown - time.monotonic())
                    )
                    continue
                now = time.monotonic()
                quiet_since = quiet_since or now
                if now - last_status_check >= _STATUS_CHECK_SECONDS:
                    last_status_check = now
                    if await self._ended():
                        async for item in self._drain():
                            yield item
                        return
                if (
                    now - quiet_since >= _IDLE_BEFORE_LONG_POLL_SECONDS
                    and now >= self._long_poll_allowed_at
                ):
                    landed = await self._long_poll()
                    if landed is not None:
                        for item in self._pages.decode(landed):
                            yield item
                        quiet_since = None
                        pace.items_arrived()
                    continue
                pace.answer_empty(now - quiet_since)
                await asyncio.sleep(max(0.0, started + pace.interval - time.monotonic()))
        finally:
            # A read-ahead query may be in flight; nobody will take it now.
            self._pages.close()

    def _long_poll_retry_seconds(self) -> float:
        return max(_LONG_POLL_RETRY_SECONDS, self._pages.cooldown * 10)

    async def _drain(self) -> AsyncIterator[WorkflowStreamItem[Any]]:
        while True:
            page = await self._pages.query()
            for item in self._pages.decode(page):
                yield item
            if not page.more_ready:
                return

    async def _ended(self) -> bool:
        try:
            with stream_errors(self._pages.handle().id):
                description = await self._pages.handle().describe()
        except RPCError as error:
            if is_retryable(error):
                return False
            raise
        return description.status in _TERMINAL

    async def _long_poll(self) -> PollResult | None:
        """Park on the poll update until the stream moves; None when it should not be used."""
        request = PollInput(
            topics=self._pages.topics, from_offset=self._pages.offset, notify_only=True
        )
        self._pages.stats.long_polls += 1
        self._pages.metrics.poll_updates.add(1)
        handle = self._pages.handle()
        try:
            with poll_span(handle.id, "update", request.from_offset):
                raw = await handle.execute_update(
                    POLL_HANDLER, RawValue(encode_poll(request)), result_type=RawValue
                )
        except WorkflowUpdateFailedError as error:
            cause = error.cause
            if isinstance(cause, ApplicationError) and cause.type == POLLERS_BUSY:
                self._long_poll_allowed_at = time.monotonic() + _BUSY_BACKOFF_SECONDS
            elif isinstance(cause, ApplicationError) and cause.type == STREAM_DRAINING:
                await asyncio.sleep(self._pages.cooldown)
            elif not (isinstance(cause, ApplicationError) and cause.type == TRUNCATED_OFFSET):
                # The long-poll only says when to query; whatever failed it (a worker that
                # lost the update across a server restart, say), the query loop carries on
                # and reports what is really wrong.
                logger.warning(
                    "workflow stream %s: long-poll update failed (%s); polling by query",
                    self._pages.handle().id,
                    cause or error,
                )
                self._long_poll_allowed_at = time.monotonic() + _BUSY_BACKOFF_SECONDS
            return None
        except WorkflowUpdateRPCTimeoutOrCancelledError as error:
            raise_if_cancelled(error)
            logger.debug("long-poll update ended: %s", error)
            self._long_poll_allowed_at = time.monotonic() + self._long_poll_retry_seconds()
            return None
        except RPCError as error:
            # Too many updates in flight, the run closed under us, or a network blip: the
            # query loop decides what happened.
            logger.debug("long-poll update ended: %s", error)
            self._long_poll_allowed_at = time.monotonic() + self._long_poll_retry_seconds()
            return None
        page = read_answer(raw, self._pages.handle().id)
        # A wstream workflow answers with the end offset only; the query then reads the items.
        return page if page.items else None
