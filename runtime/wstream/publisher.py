"""Sends publish batches in order, exactly once, retrying what the server may not have seen."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.common import RawValue
from temporalio.service import RPCError, RPCStatusCode

from wstream.batcher import Batcher, BufferedItem
from wstream.chain import still_running
from wstream.errors import StreamNotFoundError, stream_errors
from wstream.metrics import StreamMetrics, since, stream_metrics
from wstream.retry import Backoff, is_retryable
from wstream.run_watch import RunWatch
from wstream.signal_sender import SignalSender
from wstream.tracing import flush_span
from wstream.wire import (
    OFFSET_QUERY,
    PUBLISH_SIGNAL,
    encode_publish_bodies,
)

logger = logging.getLogger(__name__)

#: Deadline of the query that checks, before the first batch, that the workflow hosts a
#: stream. Short: with no worker running nobody answers it, and publishing must go on then.
_STREAM_CHECK_TIMEOUT = timedelta(seconds=2)
#: First and longest pause before sending again to a run that refused the batch because it
#: is closing (continuing as new): that lasts about as long as the run's last workflow task.
_CLOSING_FIRST_PAUSE = 0.01
_CLOSING_LONGEST_PAUSE = 0.1


def _closing(error: RPCError) -> bool:
    """Whether the server refused a signal because the run is closing (not a rate limit)."""
    return error.status == RPCStatusCode.RESOURCE_EXHAUSTED and "closing" in error.message


def _reason(error: Exception) -> str:
    if isinstance(error, RPCError):
        return f"{error.status.name if error.status else '?'} {error.message}"
    return str(error)


def new_publisher_id() -> str:
    """Return a random publisher id: 16 hex characters, 64 bits of entropy.

    Two publishers share a dedup slot only when their ids collide; at 64 random bits the
    chance among even a million concurrent publishers of one stream is about 3e-8.
    """
    return secrets.token_hex(8)


@dataclass
class PendingBatch:
    """A batch that holds its sequence until the server has acknowledged it."""

    sequence: int
    items: list[BufferedItem]
    envelope: Payload
    first_attempt: float | None = None
    #: Attempts sent again after a failure (across flushes).
    retries: int = 0


class Publisher:
    """Turns buffered items into sequenced publish signals, one batch in flight at a time.

    Batches must reach the workflow in sequence order (the workflow drops any batch whose
    sequence is not above the last it accepted), so they are sent strictly one after another.
    """

    def __init__(
        self,
        handle: WorkflowHandle[Any, Any],
        batcher: Batcher,
        *,
        max_retry_duration: timedelta,
        publisher_id: str | None = None,
        metrics: StreamMetrics | None = None,
    ) -> None:
        """Bind the sender to a workflow and a buffer, recording on ``metrics``."""
        self.handle = handle
        self.batcher = batcher
        self.max_retry_seconds = max_retry_duration.total_seconds()
        self.publisher_id = publisher_id or new_publisher_id()
        self.sequence = 0
        self.pending: PendingBatch | None = None
        #: Items acknowledged by the server or dropped after the retry deadline.
        self.settled_total = 0
        #: Batches whose signal was retried at least once.
        self.retries = 0
        self.room = asyncio.Event()
        #: Holds batches back while the run cannot finish continuing as new.
        self.run_watch = RunWatch(handle)
        self._signals = SignalSender(handle)
        #: Why nothing can be published any more: the workflow does not exist or has closed.
        self.gone: StreamNotFoundError | None = None
        self._lock = asyncio.Lock()
        self._stream_checked = False
        self.metrics = metrics or stream_metrics(None)
        self._gauge_labels = {"workflow_id": handle.id}

    def _envelope(self, sequence: int, items: list[BufferedItem]) -> Payload:
        return encode_publish_bodies(
            [(item.topic, item.body) for item in items], self.publisher_id, sequence
        )

    @property
    def unsettled(self) -> int:
        """Items accepted by the buffer and not yet acknowledged (nor dropped)."""
        return self.batcher.accepted_total - self.settled_total

    def gone_error(self, doing: str) -> StreamNotFoundError:
        """The error for ``doing`` something once the workflow is known to be gone.

        It says how many items were never acknowledged: they can no longer be delivered.
        """
        return StreamNotFoundError(
            f"cannot {doing}: {self.gone}; the {self.unsettled:,} items published and not "
            "acknowledged were not delivered (items acknowledged before stay in the stream)",
            workflow_gone=True,
        )

    def _mark_gone(self, error: StreamNotFoundError) -> StreamNotFoundError:
        self.gone = error
        self.room.set()  # waiters for buffer room must wake up and learn it
        return self.gone_error(f"publish to workflow {self.handle.id!r}")

    def _next_pending(self) -> PendingBatch | None:
        if self.pending is None:
            self.pending = self._take_batch()
        return self.pending

    def _take_batch(self) -> PendingBatch | None:
        """Take the next batch from the buffer, with the next sequence, encoded for sending."""
        items = self.batcher.take_batch()
        if not items:
            return None
        self.room.set()
        self.sequence += 1
        return PendingBatch(self.sequence, items, self._envelope(self.sequence, items))

    async def send_until(self, target: int) -> None:
        """Send batches until every item up to ``target`` (in accepted count) is settled.

        Raises:
            TimeoutError: a batch could not be sent within ``max_retry_duration``; it is
                dropped, and the next batch takes a fresh sequence.
            StreamNotFoundError: the workflow does not exist, has already closed, or hosts
                no stream; in the last case nothing was sent and every item stays buffered.
                Once the workflow is known to be gone, every later call raises at once.
            RPCError: a non-retryable failure; the batch stays pending for the next flush.
        """
        if self.gone is not None:
            raise self.gone_error(f"publish to workflow {self.handle.id!r}")
        async with self._lock:
            if self.gone is not None:  # learned while this call waited for the lock
                raise self.gone_error(f"publish to workflow {self.handle.id!r}")
            if self.settled_total < target:
                await self._check_stream()
            while self.settled_total < target:
                batch = self._next_pending()
                if batch is None:
                    return
                await self.run_watch.before_send(len(batch.envelope.data))
                size = len(batch.envelope.data)
                with flush_span(
                    self.handle.id,
                    batch.sequence,
                    len(batch.items),
                    size,
                    [item.traceparent for item in batch.items],
                ) as span:
                    try:
                        await self._send(batch)
                    finally:
                        if span is not None:
                            span.set_attribute("wstream.batch.retries", batch.retries)

    async def _check_stream(self) -> None:
        """Refuse to publish to a workflow that exists but hosts no stream.

        The server accepts signals to any running workflow, and one without the publish
        handler would keep them unread: the items would be lost without a word. One offset
        query before the first batch tells; when it cannot (no worker answering, server
        away) the batch goes out as usual.
        """
        if self._stream_checked:
            return
        started = time.monotonic()
        try:
            with stream_errors(self.handle.id):
                await self.handle.query(
                    OFFSET_QUERY, result_type=RawValue, rpc_timeout=_STREAM_CHECK_TIMEOUT
                )
        except StreamNotFoundError as error:
            if error.workflow_gone:
                if await still_running(self.handle):
                    return  # refused while the run continues as new: ask before the next batch
                raise self._mark_gone(error) from error
            raise StreamNotFoundError(
                f"{error}; nothing was sent, the {self.unsettled:,} items published stay buffered"
            ) from error
        except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
            logger.debug("workflow stream %s: stream check undecided: %s", self.handle.id, error)
            # Silence (no worker) ends as DEADLINE_EXCEEDED or, when the client's own timer
            # fires first, CANCELLED: told apart from a refusal by the time it took.
            silent = time.monotonic() - started >= 0.9 * _STREAM_CHECK_TIMEOUT.total_seconds()
            if not silent:
                # A quick refusal (server away, first workflow task not done yet) costs
                # little: ask again before the next batch. Silence would cost the deadline
                # every time, so after one the batches go out unchecked.
                return
        self._stream_checked = True

    async def _send(self, batch: PendingBatch) -> None:
        if batch.first_attempt is None:
            batch.first_attempt = time.monotonic()
        else:
            # Sent before by a flush that failed or was cancelled mid-call: this is a retry,
            # which the workflow drops if the earlier attempt was applied.
            batch.retries += 1
            self.metrics.publish_retries.add(1)
        # The deadline counts from the batch's first attempt, across flushes.
        deadline = batch.first_attempt + self.max_retry_seconds
        backoff = Backoff(deadline=deadline)
        closing = Backoff(_CLOSING_FIRST_PAUSE, deadline=deadline, longest=_CLOSING_LONGEST_PAUSE)
        while True:
            failure: Exception
            pause = backoff
            try:
                with stream_errors(self.handle.id):
                    await self._signals.send(PUBLISH_SIGNAL, batch.envelope)
            except StreamNotFoundError as error:
                if not await still_running(self.handle):
                    # A closed run takes no signal: this attempt was not applied, and none
                    # to come.
                    raise self._mark_gone(error) from error
                failure = error  # refused while the run continues as new: not applied
            except RPCError as error:
                if not is_retryable(error):
                    raise
                failure = error
                if _closing(error):
                    pause = closing
            else:
                self._settle(batch)
                self._record_sent(batch)
                return
            if backoff.expired():
                self._settle(batch)
                self.metrics.dropped_items.add(len(batch.items))
                raise TimeoutError(
                    f"publish batch {batch.sequence} ({len(batch.items)} items) of "
                    f"publisher {self.publisher_id} to workflow {self.handle.id!r} could "
                    f"not be sent within max_retry_duration={self.max_retry_seconds}s; "
                    f"it was dropped (last error: {_reason(failure)})"
                ) from failure
            self.retries += 1
            batch.retries += 1
            self.metrics.publish_retries.add(1)
            self._record_buffer()  # it fills while nothing gets through: show that
            logger.debug("retrying publish batch %d: %s", batch.sequence, failure)
            await pause.wait()

    def _settle(self, batch: PendingBatch) -> None:
        self.pending = None
        self.settled_total += len(batch.items)
        self._record_buffer()

    def _record_buffer(self) -> None:
        """Set the buffer gauges: items not yet acknowledged, and the bytes still buffered."""
        self.metrics.buffered_items.set(self.unsettled, self._gauge_labels)
        self.metrics.buffered_bytes.set(self.batcher.buffered_bytes, self._gauge_labels)

    def _record_sent(self, batch: PendingBatch) -> None:
        metrics = self.metrics
        metrics.publish_batches.add(1)
        if batch.first_attempt is not None:
            metrics.flush_latency.record(since(batch.first_attempt))
        sizes: dict[str, list[int]] = {}
        for item in batch.items:
            entry = sizes.get(item.topic)
            if entry is None:
                sizes[item.topic] = [1, item.size]
            else:
                entry[0] += 1
                entry[1] += item.size
        for topic, (count, size) in sizes.items():
            labels = {"topic": topic}
            metrics.published_items.add(count, labels)
            metrics.published_bytes.add(size, labels)
