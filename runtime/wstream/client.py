"""The client side: publish with batching and exactly-once retry, subscribe by offset."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, TypeVar, overload

from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter, PayloadConverter
from temporalio.service import RPCError
from typing_extensions import Self, Unpack

from wstream.batcher import Batcher, BufferedItem
from wstream.bindings import TopicBindings, value_type
from wstream.chain import still_running
from wstream.codec import (
    PayloadCodec,
    codec_for,
    encode_body,
    encode_for_topic,
    makes_fresh_payloads,
)
from wstream.errors import BufferFullError, StreamNotFoundError, stream_errors
from wstream.item import WorkflowStreamItem
from wstream.item_context import stamp_time
from wstream.metrics import client_of, stream_metrics
from wstream.options import ClientOptions, client_settings, with_client_options
from wstream.pages import PageReader, PollStats
from wstream.poller import Poller
from wstream.publisher import Publisher
from wstream.retry import Backoff, is_retryable, unanswered
from wstream.shared_subscription import SharedSubscription
from wstream.topic_handle import DEFAULT_POLL_COOLDOWN, TopicHandle
from wstream.tracing import current_traceparent
from wstream.wire import OFFSET_QUERY

T = TypeVar("T")
logger = logging.getLogger(__name__)

#: How long an offset query waits for an answer: as long as the server would, so a workflow
#: that no worker serves fails the call at the same point as before.
_OFFSET_QUERY_TIMEOUT = timedelta(seconds=30)
#: While a full batch waits, publish_wait lets the flusher run once per this many items
#: (a few milliseconds of encoding; a pause per item would cost more than the encoding).
_YIELD_EVERY_ITEMS = 256
#: How long such a turn lasts while two batches or more wait: a real pause, not one turn of
#: the loop (see ``_publish_wait``).
_SENDER_PAUSE_SECONDS = 0.001


class WorkflowStreamClient:
    """Publishes to and subscribes from the stream hosted by one workflow.

    Publishing buffers encoded items; a background flusher (started by ``async with``) sends
    them as byte-bounded, sequenced batches every ``batch_interval`` or as soon as a batch
    is full. Every batch carries ``(publisher_id, sequence)`` and keeps them across retries,
    so the workflow applies each batch exactly once.
    """

    @with_client_options
    def __init__(
        self,
        handle: WorkflowHandle[Any, Any],
        *,
        client: Client | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        """Bind a stream client to a workflow handle.

        Prefer :meth:`create`, which also follows continue-as-new chains by workflow id.

        Args:
            handle: Handle of the workflow hosting the stream.
            client: The Temporal client; with it, subscriptions follow continue-as-new.
            **options: Batching, retry and buffer bounds: see :class:`~wstream.ClientOptions`.

        Raises:
            TypeError: an option name is unknown.
        """
        settings = client_settings(options)
        self._handle = handle
        self._client = client
        self._batch_interval = settings["batch_interval"].total_seconds()
        self._batcher = Batcher(
            max_batch_bytes=settings["max_batch_bytes"],
            max_batch_size=settings["max_batch_size"],
            max_buffer_items=settings["max_buffer_items"],
            max_buffer_bytes=settings["max_buffer_bytes"],
        )
        self._stamp_time = settings["stamp_publish_time"]
        #: Temporal's metric meter of the client (a no-op one when none is configured).
        self._metrics = stream_metrics(client or client_of(handle))
        self._publisher = Publisher(
            handle,
            self._batcher,
            max_retry_duration=settings["max_retry_duration"],
            metrics=self._metrics,
        )
        self._bindings = TopicBindings(self._payload_converter)
        self._wake = asyncio.Event()
        #: publish_wait calls since one last let the flusher run, while a batch was ready.
        self._unyielded = 0
        self._flusher: asyncio.Task[None] | None = None
        #: Set by ``__aexit__`` so the flusher ends at its next step even if a cancellation
        #: sent to it is lost inside a library call.
        self._stopping = False
        self._background_error: BaseException | None = None
        #: Counters of this client's subscriptions (queries, long-polls, skipped items).
        self.poll_stats = PollStats()

    @classmethod
    @with_client_options
    def create(cls, client: Client, workflow_id: str, **options: Unpack[ClientOptions]) -> Self:
        """Return a stream client for the workflow ``workflow_id``, following continue-as-new.

        Args:
            client: The Temporal client.
            workflow_id: Id of the workflow hosting the stream.
            **options: See :class:`~wstream.ClientOptions`.
        """
        return cls(client.get_workflow_handle(workflow_id), client=client, **options)

    @classmethod
    @with_client_options
    def from_within_activity(cls, **options: Unpack[ClientOptions]) -> Self:
        """Return a stream client for the workflow that started the current activity.

        Args:
            **options: See :class:`~wstream.ClientOptions`.

        Raises:
            RuntimeError: not in an activity, or in a standalone activity (no parent workflow).
        """
        if not activity.in_activity():
            raise RuntimeError(
                "WorkflowStreamClient.from_within_activity() must be called inside an "
                "activity; elsewhere use WorkflowStreamClient.create(client, workflow_id)"
            )
        workflow_id = activity.info().workflow_id
        if not workflow_id:
            raise RuntimeError(
                "this activity was not started by a workflow (standalone activity): it has no "
                "parent workflow, so no stream to publish to; use WorkflowStreamClient.create("
                "activity.client(), workflow_id) with the target workflow's id"
            )
        return cls.create(activity.client(), workflow_id, **options)

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start the background flusher."""
        if self._flusher is None:
            self._stopping = False
            self._flusher = asyncio.create_task(self._run_flusher(), name="wstream-flusher")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the flusher, then send everything still buffered or pending.

        A body that was cancelled (or interrupted) sends nothing more, so the cancellation
        is not held up by the network: the unsent items stay buffered (see :attr:`buffered`)
        and a later :meth:`flush` sends them, exactly once. A body that failed because the
        workflow is gone is not followed by a flush that could only fail the same way.

        Raises:
            StreamNotFoundError: the workflow does not exist or has closed; the message
                counts the items that were not delivered.
            TimeoutError: see :meth:`flush`.
        """
        await self._stop_flusher()
        if exc is not None and not isinstance(exc, Exception):
            if self.buffered:
                logger.warning(
                    "workflow stream %s: publishing block ended by %s with %d items not "
                    "sent; they stay buffered until flush()",
                    self._handle.id,
                    type(exc).__name__,
                    self.buffered,
                )
            return
        if isinstance(exc, StreamNotFoundError) and exc.workflow_gone:
            return
        await self.flush()

    async def _stop_flusher(self) -> None:
        flusher, self._flusher = self._flusher, None
        if flusher is None:
            return
        self._stopping = True
        flusher.cancel()
        # asyncio.wait, not `await flusher` under suppress(CancelledError): that would also
        # swallow a cancellation of the task running this exit.
        await asyncio.wait({flusher})
        if not flusher.cancelled() and flusher.exception() is not None:
            raise RuntimeError(
                f"the publish flusher of workflow stream {self._handle.id!r} failed"
            ) from flusher.exception()

    @property
    def publisher_id(self) -> str:
        """This client's random publisher id (16 hex characters)."""
        return self._publisher.publisher_id

    @property
    def buffered(self) -> int:
        """Items accepted by ``publish`` and not yet acknowledged by the server.

        Once the workflow is gone (``StreamNotFoundError``), these are the items that were
        never delivered.
        """
        return self._batcher.accepted_total - self._publisher.settled_total

    @property
    def buffered_bytes(self) -> int:
        """Encoded bytes of the items counted by :attr:`buffered`.

        The memory a client holds for unsent items stays within ``max_buffer_bytes`` plus one
        batch in flight (at most ``max_batch_bytes``), however long the server is away.
        """
        pending = self._publisher.pending
        in_flight = sum(item.size for item in pending.items) if pending is not None else 0
        return self._batcher.buffered_bytes + in_flight

    async def flush(self) -> None:
        """Return once every item published before this call is acknowledged by the server.

        Raises:
            TimeoutError: a batch could not be sent within ``max_retry_duration``; it was
                dropped, and later batches take fresh sequences.
            StreamNotFoundError: the workflow does not exist or has closed (raised at once
                by every call once known; the message counts the undelivered items).
        """
        self._raise_if_gone("flush")
        self._raise_background_error()
        await self._publisher.send_until(self._batcher.accepted_total)

    def _raise_if_gone(self, doing: str) -> None:
        if self._publisher.gone is not None:
            self._background_error = None  # the same news, already told by this error
            raise self._publisher.gone_error(doing)

    def _raise_if_gone_publishing(self, topic: str) -> None:
        # The words are written only when needed: publish() runs per item.
        if self._publisher.gone is not None:
            self._raise_if_gone(f"publish to topic {topic!r}")

    def _raise_background_error(self) -> None:
        error, self._background_error = self._background_error, None
        if error is not None:
            raise error

    async def get_offset(self) -> int:
        """Return the stream's end offset: base offset plus retained log length.

        A failure that may pass (the server restarting or busy, a run continuing as new) is
        retried as publishing is, for up to ``max_retry_duration``; a query nobody answers
        (no worker) fails when its 30 s deadline passes.

        Raises:
            StreamNotFoundError: no such workflow, or it hosts no stream.
            RPCError: a non-retryable failure, silence, or the last failure after the deadline.
        """
        backoff = Backoff(deadline=time.monotonic() + self._publisher.max_retry_seconds)
        timeout = _OFFSET_QUERY_TIMEOUT.total_seconds()
        while True:
            handle = self._latest_handle()
            started = time.monotonic()
            try:
                with stream_errors(self._handle.id):
                    answer = await handle.query(
                        OFFSET_QUERY, result_type=int, rpc_timeout=_OFFSET_QUERY_TIMEOUT
                    )
                return int(answer)
            except StreamNotFoundError as error:
                if backoff.expired() or not error.workflow_gone or not await still_running(handle):
                    raise
            except RPCError as error:
                silent = unanswered(error, time.monotonic() - started, timeout)
                if silent or not is_retryable(error) or backoff.expired():
                    raise
            await backoff.wait()

    async def _run_flusher(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            # A timer sets the same event a full batch sets, so the wait is a plain
            # Event.wait: no asyncio.wait_for, which on Python 3.10/3.11 can return normally
            # when the cancellation arrives just as the wait completes.
            timer = loop.call_later(self._batch_interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()
            self._wake.clear()
            if self._stopping:
                return
            if self._background_error is not None:
                continue  # hold items until the error has been surfaced by flush()
            try:
                await self._publisher.send_until(self._batcher.accepted_total)
            except Exception as error:
                logger.warning("workflow stream %s: publish failed: %s", self._handle.id, error)
                if isinstance(error, StreamNotFoundError) and error.workflow_gone:
                    return  # nothing can be sent any more; publish and flush now say so
                self._background_error = error
                self._publisher.room.set()  # publish_wait callers must learn it too

    # -- publishing ------------------------------------------------------------------------

    def _payload_converter(self) -> PayloadConverter:
        client = self._client or getattr(self._handle, "_client", None)
        converter = client.data_converter if client is not None else DataConverter.default
        return converter.payload_converter

    def _encode(self, topic: str, codec: PayloadCodec[Any], value: Any) -> BufferedItem:
        if self._stamp_time:
            # A caller's own Payload is sent as it is: the stamp goes on a copy of it.
            own = makes_fresh_payloads(codec) and not isinstance(value, Payload)
            body = stamp_time(encode_for_topic(topic, codec, value), own=own).SerializeToString()
        else:
            # Serialized now, so a value changed after publish() is sent as it was.
            body = encode_body(topic, codec, value)
        # The context is kept beside the item; the batch writes it once per trace run.
        return self._batcher.check(topic, body, current_traceparent())

    def _publish(
        self, topic: str, codec: PayloadCodec[Any], value: Any, *, force_flush: bool
    ) -> None:
        self._raise_if_gone_publishing(topic)
        try:
            self._batcher.add(self._encode(topic, codec, value))
        except BufferFullError:
            self._metrics.buffer_full.add(1)
            raise
        if force_flush or self._batcher.batch_ready():
            self._wake.set()

    async def _publish_wait(
        self, topic: str, codec: PayloadCodec[Any], value: Any, *, force_flush: bool
    ) -> None:
        self._raise_if_gone_publishing(topic)
        item = self._encode(topic, codec, value)
        while not self._batcher.has_room(item):
            if self._flusher is None:
                await self._publisher.send_until(self._publisher.settled_total + 1)
                continue
            self._raise_background_error()
            self._publisher.room.clear()
            self._wake.set()
            await self._publisher.room.wait()
            self._raise_if_gone_publishing(topic)
        self._batcher.add(item)
        if force_flush or self._batcher.batch_ready():
            self._wake.set()
            self._unyielded += 1
            if self._unyielded >= _YIELD_EVERY_ITEMS:
                # A caller publishing in a loop never waits while there is room, and the
                # flusher runs only when someone does: let it send (and finish sending)
                # while the next batch is encoded, not once the whole buffer has filled.
                self._unyielded = 0
                # The answers to the flusher's calls are handed over by the SDK's own
                # threads, which need the GIL this loop holds: with only turns of the event
                # loop, a query took the whole of a 0.3 s loop to come back. Once the sender
                # falls behind, a pause of a millisecond lets them through (and costs the
                # loop nothing it could use: the buffer is ahead of the network anyway).
                behind = self._batcher.batches_waiting() >= 2
                await asyncio.sleep(_SENDER_PAUSE_SECONDS if behind else 0)

    @overload
    def topic(self, name: str, *, type: None = None) -> TopicHandle[Any]: ...

    @overload
    def topic(
        self, name: str, *, type: type[T], codec: PayloadCodec[T] | None = None
    ) -> TopicHandle[T]: ...

    def topic(
        self, name: str, *, type: Any = None, codec: PayloadCodec[Any] | None = None
    ) -> TopicHandle[Any]:
        """Return a typed handle for topic ``name``.

        One type per topic name per client: the same call again returns an equal handle, a
        different type raises ``RuntimeError``. Items of this topic read by :meth:`subscribe`
        decode to the bound type.

        Args:
            name: The topic's wire name.
            type: The value type (``None`` or omitted: ``Any``); Pydantic models take the
                pydantic-core fast path.
            codec: A codec to use instead of the one chosen for ``type``.

        Raises:
            RuntimeError: the topic is already bound to a different type.
            PayloadTypeError: ``type`` is ``Payload`` (use ``RawValue``); a
                ``RuntimeError`` and a ``TypeError``.
        """
        bound = value_type(type)
        return TopicHandle(self, name, bound, self._bindings.bind(name, bound, codec))

    # -- subscribing -----------------------------------------------------------------------

    @overload
    def subscribe(
        self,
        topics: str | Sequence[str] | None = None,
        from_offset: int = 0,
        *,
        result_type: None = None,
        poll_cooldown: timedelta = DEFAULT_POLL_COOLDOWN,
    ) -> AsyncIterator[WorkflowStreamItem[Any]]: ...

    @overload
    def subscribe(
        self,
        topics: str | Sequence[str] | None = None,
        from_offset: int = 0,
        *,
        result_type: type[T],
        poll_cooldown: timedelta = DEFAULT_POLL_COOLDOWN,
    ) -> AsyncIterator[WorkflowStreamItem[T]]: ...

    def subscribe(
        self,
        topics: str | Sequence[str] | None = None,
        from_offset: int = 0,
        *,
        result_type: Any = None,
        poll_cooldown: timedelta = DEFAULT_POLL_COOLDOWN,
    ) -> AsyncIterator[WorkflowStreamItem[Any]]:
        """Follow the stream from ``from_offset``, yielding items in offset order.

        The backlog is read through the poll query (nothing is written to history); at the
        tail the subscription polls by query with a back-off that grows while the stream is
        quiet, and parks on the poll update only after a few quiet seconds. It follows
        continue-as-new (when the client knows the ``Client``), resumes from the retained base
        when its offset was truncated (counting ``poll_stats.items_skipped``), and ends once
        the workflow has closed and every retained item was read.

        Args:
            topics: One topic, several, or ``None`` for all.
            from_offset: The first offset to read.
            result_type: Decode every item to this type; ``RawValue`` yields raw payloads.
                When ``None``, each item decodes to the type bound to its topic with
                :meth:`topic`, or to ``Any`` with the payload converter.
            poll_cooldown: Pause between polls while items flow (20 ms by default, where
                the official module's is 100 ms: wstream's polls are queries, which write
                nothing to history). Empty answers stretch the pause toward 100 ms, and a
                quiet stream toward 0.5 s; a cooldown above those is kept.

        Raises:
            ItemDecodeError: an item does not decode (names its topic and offset).
            StreamNotFoundError: the workflow does not exist or hosts no stream.
            PayloadTypeError: ``result_type`` is ``Payload`` (use ``RawValue``); a
                ``RuntimeError`` and a ``TypeError``.
        """
        names = [topics] if isinstance(topics, str) else list(topics or [])
        codecs: dict[str, PayloadCodec[Any]] | None = None
        fixed: PayloadCodec[Any] | None = None
        if result_type is not None:
            fixed = codec_for(result_type, self._payload_converter(), argument="result_type")
        return self._subscribe_codecs(names, from_offset, codecs, fixed, poll_cooldown)

    def _subscribe_codecs(
        self,
        topics: list[str],
        from_offset: int,
        codecs: dict[str, PayloadCodec[Any]] | None,
        fixed: PayloadCodec[Any] | None,
        poll_cooldown: timedelta,
    ) -> AsyncIterator[WorkflowStreamItem[Any]]:
        def codec_for_topic(topic: str) -> PayloadCodec[Any]:
            if fixed is not None:
                return fixed
            if codecs is not None and topic in codecs:
                return codecs[topic]
            return self._bindings.codec(topic)

        if from_offset < 0:
            raise ValueError(f"from_offset must not be negative, got {from_offset}")
        if self._client is not None:
            # Every subscription of this workflow and filter made through this Temporal
            # client, from any WorkflowStreamClient, reads through one shared poller.
            return SharedSubscription(
                self._client,
                self._handle.id,
                topics,
                from_offset=from_offset,
                codec_for_topic=codec_for_topic,
                poll_cooldown=poll_cooldown.total_seconds(),
                stats=self.poll_stats,
            ).items()
        # Bound to a handle alone: no continue-as-new following, so no sealed segments.
        pages = PageReader(
            self._latest_handle,
            topics=topics,
            from_offset=from_offset,
            codec_for_topic=codec_for_topic,
            poll_cooldown=poll_cooldown.total_seconds(),
            stats=self.poll_stats,
        )
        return Poller(pages).items()

    def _latest_handle(self) -> WorkflowHandle[Any, Any]:
        """The handle polls go to: the chain's latest run when the client is known."""
        if self._client is not None and self._handle.run_id is not None:
            return self._client.get_workflow_handle(self._handle.id)
        return self._handle
