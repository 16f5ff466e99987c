"""Reads a stream a page at a time through the poll query and decodes pages in offset order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio.client import (
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import RawValue
from temporalio.service import RPCError

from wstream.chain import still_running
from wstream.codec import PayloadCodec
from wstream.errors import ItemDecodeError, StreamNotFoundError, stream_errors
from wstream.item import WorkflowStreamItem
from wstream.item_context import TraceRuns, published_at_of
from wstream.metrics import StreamMetrics, client_of, stream_metrics
from wstream.raw_pages import is_raw_page, parse_raw_page
from wstream.retry import Backoff, is_retryable
from wstream.tracing import poll_span
from wstream.wire import (
    POLL_HANDLER,
    MalformedInput,
    PollInput,
    PollResult,
    SealedSegment,
    encode_poll,
    encode_poll_result,
    parse_poll_result,
)

logger = logging.getLogger(__name__)

#: Which answer a poll query asks for: the closed run it goes to (None: the latest run),
#: the topics and the offset.
_AskKey = tuple[str | None, tuple[str, ...], int]

#: A poll query in flight when a run closes can go unanswered until the server's 30 s
#: deadline; give up sooner and ask again (the retry reaches the next run or the closed one).
_QUERY_TIMEOUT = timedelta(seconds=10)


@dataclass
class PollStats:
    """Counters of one client's subscriptions, for logs and tests."""

    queries: int = 0
    long_polls: int = 0
    items_skipped: int = 0
    #: Poll queries answered by closed runs (sealed segments of a long stream).
    sealed_queries: int = 0


class PageReader:
    """Asks for the page at :attr:`offset` and decodes it, advancing :attr:`offset`.

    Retryable RPC failures are retried with a doubling pause, so a caller sees a page or an
    error that retrying cannot fix. A truncated offset moves to the retained base, counted in
    ``stats.items_skipped`` and logged.

    Given ``run_handle``, the reader follows a long stream into its sealed segments: a
    wstream workflow asked for an offset an earlier run holds names that closed run, and the
    reader queries it there (Temporal replays the closed run on a worker to answer), then
    moves on to the next run. A closed run the namespace has deleted reads as truncation.
    """

    #: Whether decoded items are delivered as they are, and counted as received here (a
    #: shared poller's are decoded again by each subscriber, which counts them then).
    counts_delivery: bool = True

    def __init__(
        self,
        handle: Callable[[], WorkflowHandle[Any, Any]],
        *,
        topics: list[str],
        from_offset: int,
        codec_for_topic: Callable[[str], PayloadCodec[Any]],
        poll_cooldown: float,
        stats: PollStats,
        run_handle: Callable[[str], WorkflowHandle[Any, Any]] | None = None,
        metrics: StreamMetrics | None = None,
    ) -> None:
        """Read ``topics`` from ``from_offset``; ``handle`` returns the handle of the latest run.

        ``run_handle`` returns the handle of one run by its id; without it, sealed segments
        read as truncated (as they do for official clients). ``metrics`` (default: those of
        the handle's client) records polls, skips, lag and the items decoded.
        """
        self.handle = handle
        latest = handle()
        self.metrics = metrics or stream_metrics(client_of(latest))
        self._lag_labels = {"workflow_id": latest.id}
        self._trace_runs = TraceRuns()
        #: Where the last decode left :attr:`offset`: trace runs count on only from there.
        self._decoded_to = from_offset
        self._run_handle = run_handle
        #: The closed run being read, while the offset lies in a sealed segment.
        self._sealed: SealedSegment | None = None
        #: Sealed segments learnt from directories, by first offset.
        self._known: dict[int, SealedSegment] = {}
        self.topics = topics
        #: The next offset to read: every item of the filter before it has been decoded.
        self.offset = from_offset
        self._codec_for_topic = codec_for_topic
        #: Seconds between polls while items flow; the first pause before a retry.
        self.cooldown = max(poll_cooldown, 0.001)
        self.stats = stats
        #: Whether pages come through the poll update: the workflow registers no poll query
        #: (a stream hosted by the TypeScript SDK's WorkflowStream).
        self._via_update = False
        #: The query already sent for the next page, and what it asks for.
        self._ahead: tuple[_AskKey, asyncio.Future[RawValue]] | None = None

    async def query(self) -> PollResult:
        """Return the page at :attr:`offset`, retrying what the server could not take.

        While pages come back full, the query for the next page is already in flight as the
        caller decodes this one: reading a backlog costs the slower of the two, not the sum
        (a closed run replays on a worker for every page it answers).
        """
        backoff = Backoff(self.cooldown)
        while True:
            sealed = self._sealed
            handle, key = self._target()
            ahead = self._take_ahead(key)
            try:
                raw = await (ahead if ahead is not None else self._ask(handle, key))
            except StreamNotFoundError as error:
                if not error.workflow_gone:
                    raise
                if sealed is not None:
                    self._skip_deleted_run(sealed)
                    continue
                if not await still_running(handle):
                    raise
                # Refused while the run continues as new: the next run answers.
                await backoff.wait()
                continue
            except RPCError as error:
                if not is_retryable(error):
                    raise
                await backoff.wait()
                continue
            except WorkflowUpdateRPCTimeoutOrCancelledError:
                # A poll update whose call timed out (a cancellation was raised as such).
                await backoff.wait()
                continue
            page = read_answer(raw, handle.id)
            if sealed is not None:
                page.end_offset = None  # a closed run's end, not the stream's
            for segment in page.segments or ():
                self._known[segment.first_offset] = segment
            if page.sealed is not None:
                # Read there instead; offsets below the run's start were truncated.
                self._skip_to(page.next_offset)
                self._sealed = page.sealed
                continue
            if sealed is not None and not page.more_ready:
                # This closed run is read to its end: the next one (or the latest run) holds
                # the offsets from here on, so there is more to read right away.
                self._sealed = self._known_segment_at(page.next_offset)
                page.more_ready = True
            if page.more_ready:
                self._read_ahead(page.next_offset)
            return page

    def close(self) -> None:
        """Cancel the query for the next page, if one is in flight; the reader stays usable."""
        if self._ahead is not None:
            self._ahead[1].cancel()
            self._ahead = None

    def _target(self, offset: int | None = None) -> tuple[WorkflowHandle[Any, Any], _AskKey]:
        """The run that holds ``offset`` (default :attr:`offset`) as far as the reader knows."""
        sealed = self._sealed if self._run_handle is not None else None
        key = (
            None if sealed is None else sealed.run_id,
            tuple(self.topics),
            self.offset if offset is None else offset,
        )
        if sealed is not None and self._run_handle is not None:
            return self._run_handle(sealed.run_id), key
        return self.handle(), key

    async def _ask(self, handle: WorkflowHandle[Any, Any], key: _AskKey) -> RawValue:
        run_id, topics, offset = key
        request = PollInput(
            topics=list(topics),
            from_offset=offset,
            follow_segments=self._run_handle is not None,
            # Fewer, fuller pages: a closed run replays its whole history per answer.
            compress=self._run_handle is not None,
            raw_pages=self._run_handle is not None,
        )
        if self._via_update:
            return await self._ask_by_update(handle, request)
        self.stats.queries += 1
        self.metrics.poll_queries.add(1)
        if run_id is not None:
            self.stats.sealed_queries += 1
        try:
            with stream_errors(handle.id), poll_span(handle.id, "query", offset):
                raw: RawValue = await handle.query(
                    POLL_HANDLER,
                    RawValue(encode_poll(request)),
                    result_type=RawValue,
                    rpc_timeout=_QUERY_TIMEOUT,
                )
        except WorkflowQueryFailedError as error:
            if not _no_poll_query(error):
                raise
            logger.info(
                "workflow stream %s has no poll query (hosted by an SDK that serves polls as "
                "updates only): reading it through the poll update",
                handle.id,
            )
            self._via_update = True
            return await self._ask_by_update(handle, request)
        return raw

    async def _ask_by_update(
        self, handle: WorkflowHandle[Any, Any], request: PollInput
    ) -> RawValue:
        """Ask for a page through the poll update, which waits while nothing is new.

        Such a stream can be read only while its workflow runs (an update needs a running
        workflow, and there is no query to ask a closed one): once it has closed, the answer
        is an empty last page, so the subscription ends.
        """
        request = PollInput(topics=request.topics, from_offset=request.from_offset)
        self.stats.long_polls += 1
        self.metrics.poll_updates.add(1)
        try:
            with stream_errors(handle.id), poll_span(handle.id, "update", request.from_offset):
                raw: RawValue = await handle.execute_update(
                    POLL_HANDLER, RawValue(encode_poll(request)), result_type=RawValue
                )
        except (
            StreamNotFoundError,
            RPCError,
            WorkflowUpdateFailedError,
            WorkflowUpdateRPCTimeoutOrCancelledError,
        ) as error:
            raise_if_cancelled(error)
            if await still_running(handle):
                raise
            logger.warning(
                "workflow stream %s closed; items after offset %d, if any, cannot be read "
                "(its host answers polls only while it runs)",
                handle.id,
                request.from_offset,
            )
            ended = PollResult([], request.from_offset, False, None)
            return RawValue(encode_poll_result(ended))
        return raw

    def _read_ahead(self, offset: int) -> None:
        """Send the query for the page at ``offset`` now, to be taken by the next query."""
        self.close()
        handle, key = self._target(offset)
        task = asyncio.ensure_future(self._ask(handle, key))
        # A read-ahead nobody takes (the reader was moved, or closed) must not log its error.
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._ahead = (key, task)

    def _take_ahead(self, key: _AskKey) -> asyncio.Future[RawValue] | None:
        """The read-ahead query for ``key``, if one was sent; any other one is dropped."""
        ahead, self._ahead = self._ahead, None
        if ahead is None:
            return None
        if ahead[0] != key:
            ahead[1].cancel()
            return None
        return ahead[1]

    def _known_segment_at(self, offset: int) -> SealedSegment | None:
        for segment in self._known.values():
            if segment.first_offset <= offset < segment.end_offset:
                return segment
        return None

    def _skip_deleted_run(self, sealed: SealedSegment) -> None:
        """Treat a closed run the namespace no longer has (retention) as truncation."""
        self._known.pop(sealed.first_offset, None)
        self._skip(
            sealed.end_offset,
            f"run {sealed.run_id} holding offsets {sealed.first_offset} to "
            f"{sealed.end_offset - 1} no longer exists (retention)",
            counted=True,
        )
        self._sealed = self._known_segment_at(self.offset)

    def decode(self, page: PollResult) -> list[WorkflowStreamItem[Any]]:
        """Decode the page's items not read yet and move :attr:`offset` past the page.

        Raises:
            ItemDecodeError: an item does not decode; it names the topic and offset.
        """
        if page.base_offset is not None and self.offset < page.base_offset:
            self._skip_to(page.base_offset)
        if self.offset != self._decoded_to:
            self._trace_runs.forget()  # moved (or skipped): the runs' counts no longer hold
        if page.end_offset is not None:
            self.metrics.subscriber_lag.set(max(0, page.end_offset - self.offset), self._lag_labels)
        decoded: list[WorkflowStreamItem[Any]] = []
        # Looked up once per topic and page, not once per item: a page holds thousands.
        codecs: dict[str, PayloadCodec[Any]] = {}
        for wire in page.items:
            offset = wire.offset
            if offset < self.offset:
                continue  # already read (an official workflow may send a page again)
            topic = wire.topic
            codec = codecs.get(topic)
            if codec is None:
                codec = codecs[topic] = self._codec_for_topic(topic)
            payload = wire.payload()
            try:
                value = codec.decode(payload)
            except Exception as error:
                raise ItemDecodeError(topic, offset, payload, error) from error
            traceparent = self._trace_runs.context(topic, payload)
            if len(payload.metadata) > 1:  # more than its encoding: a time stamp, perhaps
                published_at = published_at_of(payload)
                decoded.append(WorkflowStreamItem(topic, value, offset, traceparent, published_at))
            elif traceparent is not None:
                decoded.append(WorkflowStreamItem(topic, value, offset, traceparent))
            else:
                decoded.append(WorkflowStreamItem(topic, value, offset))
            self.offset = offset + 1
        # Past the items the topic filter left out, too.
        self.offset = max(self.offset, page.next_offset)
        self._decoded_to = self.offset
        if self.counts_delivery and decoded:
            record_delivery(self.metrics, decoded)
        return decoded

    def _skip_to(self, base_offset: int) -> None:
        # From offset 0 the reader asked for "everything retained", so nothing was skipped.
        self._skip(base_offset, f"offset {self.offset} was truncated", counted=self.offset > 0)

    def _skip(self, offset: int, why: str, *, counted: bool) -> None:
        """Move on to ``offset``; ``counted`` skips are logged and add to ``items_skipped``."""
        if offset <= self.offset:
            return
        if counted:
            skipped = offset - self.offset
            self.stats.items_skipped += skipped
            self.metrics.skipped_items.add(skipped)
            logger.warning(
                "workflow stream %s: %s; skipped %d items and resumed at offset %d",
                self.handle().id,
                why,
                skipped,
                offset,
            )
        self.offset = offset


def record_delivery(metrics: StreamMetrics, items: list[WorkflowStreamItem[Any]]) -> None:
    """Count ``items`` as delivered, and the delivery latency of those stamped with a time."""
    metrics.count_topics(metrics.received_items, (item.topic for item in items))
    now: datetime | None = None
    for item in items:
        if item.published_at is not None:
            now = now or datetime.now(timezone.utc)
            metrics.delivery_latency.record(max(now - item.published_at, timedelta(0)))


def raise_if_cancelled(error: BaseException) -> None:
    """Raise :class:`asyncio.CancelledError` if ``error`` reports the awaiting task's cancel.

    temporalio turns the cancellation of a task awaiting an update into
    ``WorkflowUpdateRPCTimeoutOrCancelledError``; a cancelled subscription must end as
    cancelled, not poll on or fail with that error.
    """
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError) and isinstance(
        error.__cause__, asyncio.CancelledError
    ):
        raise asyncio.CancelledError() from error


def _no_poll_query(error: WorkflowQueryFailedError) -> bool:
    """Whether the query failed because the workflow registers no poll query at all."""
    message = str(error)
    # The TypeScript SDK: "did not register a handler for X. Registered queries: [...]";
    # the Python SDK: "Query handler for 'X' expected but not found, known queries: [...]".
    return POLL_HANDLER in message and (
        "registered queries" in message.lower() or "known queries" in message.lower()
    )


def read_answer(raw: RawValue, workflow_id: str) -> PollResult:
    """Read a poll answer (query or update result) of the workflow ``workflow_id``.

    Raises:
        MalformedInput: the answer does not follow the wire format; the message names the
            workflow.
    """
    try:
        if is_raw_page(raw.payload):
            return parse_raw_page(raw.payload.data)
        return parse_poll_result(raw.payload.data)
    except MalformedInput as error:
        raise MalformedInput(
            f"workflow {workflow_id!r} answered the poll with a malformed answer: {error}"
        ) from None
