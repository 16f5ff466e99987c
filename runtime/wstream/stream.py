"""The workflow side: the log, its handlers, dedup, truncation and continue-as-new state."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from types import FrameType
from typing import Any, NoReturn, TypeVar, overload

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

from wstream import limits
from wstream.bindings import TopicBindings, value_type
from wstream.codec import PayloadCodec
from wstream.errors import (
    POLLERS_BUSY,
    STREAM_DRAINING,
    TRUNCATE_OUT_OF_RANGE,
    TRUNCATED_OFFSET,
    StateTooLargeError,
)
from wstream.metrics import WorkflowStreamMetrics
from wstream.raw_pages import raw_page
from wstream.topic_handle import WorkflowTopicHandle
from wstream.wire import (
    CLOSING_MEMO,
    HOLDING_SIGNAL,
    ITEM_OVERHEAD,
    OFFSET_QUERY,
    POLL_HANDLER,
    PUBLISH_SIGNAL,
    MalformedInput,
    PollInput,
    PollResult,
    PublisherState,
    SealedSegment,
    WireItem,
    WorkflowStreamState,
    encode_payload,
    encode_poll_result,
    json_string_size,
    packed_page,
    page,
    parse_poll,
    parse_publish_columns,
    plain_json_strings,
    unplaced_item_size,
)

T = TypeVar("T")

#: JSON bytes of one publisher's dedup entry in the state, at most (id, sequence, timestamp).
_PUBLISHER_JSON_OVERHEAD = 96
#: JSON bytes of one directory entry: a 36-character run id, two offsets and the keys.
_SEGMENT_JSON_OVERHEAD = 128


#: How long a publisher's dedup state outlives its last batch across continue-as-new.
DEFAULT_PUBLISHER_TTL = timedelta(seconds=900)


def _called_from_workflow_init() -> bool:
    """Whether a workflow class's ``__init__`` is on the stack (wrappers may sit between)."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return False
        if frame.f_code.co_name == "__init__":
            owner = frame.f_locals.get("self")
            if owner is not None and hasattr(type(owner), "__temporal_workflow_definition"):
                return True
        frame = frame.f_back
    return False


class WorkflowStream:
    """A durable, offset-addressed event log hosted by the workflow that constructs it.

    Construct exactly one in the workflow's ``@workflow.init`` method, passing the state
    carried over continue-as-new (or ``None`` on the first run). It registers the publish
    signal, the poll update and query and the offset query; it is wire-compatible with every
    official Workflow Streams client.
    """

    def __init__(
        self,
        prior_state: WorkflowStreamState | None = None,
        *,
        max_run_log_bytes: int = limits.DEFAULT_MAX_RUN_LOG_BYTES,
        carry_tail_bytes: int = limits.DEFAULT_CARRY_TAIL_BYTES,
        max_segments_carried: int = limits.MAX_SEGMENTS_CARRIED,
        min_run_seconds: float = limits.DEFAULT_MIN_RUN_SECONDS,
        closing_wait_seconds: float = limits.DEFAULT_CLOSING_WAIT_SECONDS,
    ) -> None:
        """Register the stream's handlers and restore ``prior_state``.

        Args:
            prior_state: The state the previous run passed on, or ``None`` on the first run.
            max_run_log_bytes: Log bytes this run writes to its history (published items,
                carried tail) after which :meth:`continue_as_new_suggested` says to continue
                as new, so no run's history grows past a bound, however long the stream.
            carry_tail_bytes: Most bytes of the newest items the next run carries, so live
                readers (official ones too) go on without reading the closed run.
            max_segments_carried: Most sealed segments the state lists; a reader of an older
                offset is sent to the oldest listed run, which knows the runs before it.
            min_run_seconds: The youngest age at which the log budget (or Temporal's
                history suggestion) makes :meth:`continue_as_new_suggested` true: Temporal's
                ``continueAsNewMinInterval``, 1 s by default.
            closing_wait_seconds: Longest :meth:`continue_as_new` waits, after telling
                wstream publishers (through the run's memo) that the run is closing, for one
                of them to answer that it holds; the run continues as new on that answer.

        Raises:
            RuntimeError: called outside a workflow's ``__init__``, or a second time.
        """
        if not workflow.in_workflow():
            raise RuntimeError(
                "WorkflowStream can only be constructed inside a workflow, in its "
                "@workflow.init method; outside a workflow use WorkflowStreamClient"
            )
        if workflow.get_signal_handler(PUBLISH_SIGNAL) is not None:
            raise RuntimeError(
                "WorkflowStream is already registered on this workflow: it hosts one stream; "
                "construct it once, in @workflow.init"
            )
        if not _called_from_workflow_init():
            raise RuntimeError(
                "WorkflowStream must be constructed directly from the workflow's @workflow.init "
                "method (its __init__), so its handlers exist before the first signal or poll "
                "arrives"
            )
        #: On the workflow's replay-safe meter: nothing is recorded while a task replays.
        self._metrics = WorkflowStreamMetrics.on(workflow.metric_meter())
        self._topics: list[str] = []
        self._data: list[str] = []
        #: Each retained item's unplaced_item_size, index for index: pages and sizes are
        #: counted from these instead of measuring every item's JSON again.
        self._sizes: list[int] = []
        self._base_offset = 0
        self._publishers: dict[str, PublisherState] = {}
        self._detaching = False
        self._waiting_notify_polls = 0
        #: Publish signals this run has accepted (duplicates included).
        self.signals_this_run = 0
        #: Poll updates this run has accepted.
        self.updates_this_run = 0
        self._retained_bytes = 0
        #: Closed runs holding older items, oldest first (see WorkflowStreamState.segments).
        self._segments: list[SealedSegment] = []
        self._sealed_floor = 0
        self._max_run_log_bytes = max_run_log_bytes
        self._carry_tail_bytes = carry_tail_bytes
        self._max_segments_carried = max(1, max_segments_carried)
        self._min_run_seconds = min_run_seconds
        self._closing_wait_seconds = closing_wait_seconds
        self._holding_answers = 0
        self._sealed_run = False
        self._wake_up: asyncio.Task[None] | None = None
        #: Log bytes this run has written to its history, duplicates and carried tail included.
        self.log_bytes_this_run = 0
        self._bindings = TopicBindings(workflow.payload_converter)
        if prior_state is not None:
            self._restore(prior_state)
        workflow.set_signal_handler(PUBLISH_SIGNAL, self._on_publish)
        workflow.set_signal_handler(HOLDING_SIGNAL, self._on_holding)
        workflow.set_update_handler(POLL_HANDLER, self._on_poll, validator=self._validate_poll)
        workflow.set_query_handler(POLL_HANDLER, self._on_poll_query)
        workflow.set_query_handler(OFFSET_QUERY, self._on_offset)

    def _restore(self, state: WorkflowStreamState) -> None:
        for index, item in enumerate(state.log):
            size = unplaced_item_size(item.topic, item.data)
            self._topics.append(item.topic)
            self._data.append(item.data)
            self._sizes.append(size)
            self._retained_bytes += size + len(str(state.base_offset + index))
        self.log_bytes_this_run = self._retained_bytes
        self._base_offset = state.base_offset
        self._segments = list(state.segments)
        self._sealed_floor = state.sealed_floor
        self._publishers = dict(state.publishers)
        for pid, sequence in (state.publisher_sequences or {}).items():
            seen = (state.publisher_last_seen or {}).get(pid)
            last_seen = (
                datetime.fromtimestamp(seen, timezone.utc) if seen is not None else workflow.now()
            )
            self._publishers.setdefault(pid, PublisherState.at(sequence, last_seen))

    # -- topics and publishing from the workflow -------------------------------------------

    @overload
    def topic(self, name: str, *, type: None = None) -> WorkflowTopicHandle[Any]: ...

    @overload
    def topic(
        self, name: str, *, type: type[T], codec: PayloadCodec[T] | None = None
    ) -> WorkflowTopicHandle[T]: ...

    def topic(
        self, name: str, *, type: Any = None, codec: PayloadCodec[Any] | None = None
    ) -> WorkflowTopicHandle[Any]:
        """Return a typed handle for publishing to topic ``name`` from the workflow.

        Args:
            name: The topic's wire name.
            type: The value type (``None`` or omitted: ``Any``); Pydantic models take the
                pydantic-core fast path.
            codec: A codec to use instead of the one chosen for ``type``.

        Raises:
            RuntimeError: the topic is already bound to a different type.
            PayloadTypeError: ``type`` is ``Payload`` (a ``RuntimeError`` and a ``TypeError``).
        """
        bound = value_type(type)
        return WorkflowTopicHandle(self, name, bound, self._bindings.bind(name, bound, codec))

    def _append(self, topic: str, payload: Payload) -> None:
        data = encode_payload(payload)
        unplaced = unplaced_item_size(topic, data)
        size = unplaced + len(str(self.end_offset))
        self._topics.append(topic)
        self._data.append(data)
        self._sizes.append(unplaced)
        self._retained_bytes += size
        self.log_bytes_this_run += size
        self._metrics.appended_items.add(1)

    # -- offsets, truncation and continue-as-new -------------------------------------------

    @property
    def base_offset(self) -> int:
        """Offset of the first retained item."""
        return self._base_offset

    @property
    def end_offset(self) -> int:
        """Offset the next item will take (base offset plus retained log length)."""
        return self._base_offset + len(self._data)

    @property
    def sealed_segments(self) -> list[SealedSegment]:
        """Closed runs that hold older items, oldest first (the most recent ones listed)."""
        return list(self._segments)

    @property
    def retained_bytes(self) -> int:
        """JSON size of the retained log's items, as continue-as-new state would carry them."""
        return self._retained_bytes

    def continue_as_new_suggested(self) -> bool:
        """Whether the workflow should continue-as-new now.

        True when Temporal suggests it (history length or size), or when this run has
        written ``max_run_log_bytes`` of log to its history, once the run is
        ``min_run_seconds`` old: the server would hold a younger run's successor back until
        then, with every publish of the meanwhile piling into its first task. Also true when
        the run has spent most of its signal or update budget (10,000 signals, 2,000 updates
        per run), at any age. Continuing as new costs nothing in stream length: the items
        stay readable in the closed run.
        """
        if (
            self.signals_this_run >= limits.SIGNALS_BEFORE_CONTINUE_AS_NEW
            or self.updates_this_run >= limits.UPDATES_BEFORE_CONTINUE_AS_NEW
        ):
            return True
        if not (
            workflow.info().is_continue_as_new_suggested()
            or self.log_bytes_this_run >= self._max_run_log_bytes
        ):
            return False
        return self._run_age_seconds() >= self._min_run_seconds

    def truncate(self, up_to_offset: int) -> None:
        """Drop every item below ``up_to_offset``, in this run and in sealed runs alike.

        Sealed runs keep their history, but no reader is sent there below this offset again.

        Raises:
            ApplicationError: ``up_to_offset`` is outside ``[base_offset, end_offset]``.
        """
        if not self._base_offset <= up_to_offset <= self.end_offset:
            raise ApplicationError(
                f"cannot truncate the workflow stream to offset {up_to_offset}: valid offsets "
                f"are {self._base_offset} to {self.end_offset}",
                type=TRUNCATE_OUT_OF_RANGE,
                non_retryable=True,
            )
        cut = up_to_offset - self._base_offset
        self._retained_bytes -= sum(self._sizes[:cut]) + _digits(self._base_offset, up_to_offset)
        del self._topics[:cut]
        del self._data[:cut]
        del self._sizes[:cut]
        self._base_offset = up_to_offset
        self._sealed_floor = max(self._sealed_floor, up_to_offset)
        self._segments = [s for s in self._segments if s.end_offset > self._sealed_floor]

    def get_state(self, *, publisher_ttl: timedelta = DEFAULT_PUBLISHER_TTL) -> WorkflowStreamState:
        """Return the state to pass to the next run's ``WorkflowStream(prior_state)``.

        The state seals this run: it lists the run among the sealed segments and carries only
        the newest items (at most ``carry_tail_bytes``), so its size does not grow with the
        stream. Publishers idle for longer than ``publisher_ttl`` are forgotten; keep the TTL
        above every client's ``max_retry_duration``.

        Raises:
            StateTooLargeError: the publishers' dedup table alone would not fit in one
                payload (tens of thousands of publishers within ``publisher_ttl``).
        """
        now = workflow.now()
        publishers = {
            pid: state
            for pid, state in self._publishers.items()
            if now - state.seen_at() < publisher_ttl
        }
        segments = self._segments
        # The floor never lies above the base: truncate raises both, and a carried base
        # starts at or after the floor carried with it.
        if self.end_offset > self._base_offset:
            this_run = SealedSegment(
                run_id=workflow.info().run_id,
                first_offset=self._base_offset,
                end_offset=self.end_offset,
            )
            segments = [*segments, this_run][-self._max_segments_carried :]
        fixed = _PUBLISHER_JSON_OVERHEAD * (len(publishers) + 1) + _SEGMENT_JSON_OVERHEAD * len(
            segments
        )
        if fixed > limits.MAX_STATE_BYTES:
            raise StateTooLargeError(fixed, limits.MAX_STATE_BYTES, len(publishers))
        first = self._tail_start(min(self._carry_tail_bytes, limits.MAX_STATE_BYTES - fixed))
        return WorkflowStreamState(
            log=[
                WireItem(topic=self._topics[i], data=self._data[i], offset=self._base_offset + i)
                for i in range(first, len(self._data))
            ],
            base_offset=self._base_offset + first,
            publishers=publishers,
            segments=segments,
            sealed_floor=self._sealed_floor,
        )

    def _tail_start(self, budget: int) -> int:
        """Index of the oldest retained item of the newest run of items within ``budget`` bytes."""
        index = len(self._data)
        while index > 0:
            offset = self._base_offset + index - 1
            size = self._sizes[index - 1] + len(str(offset))
            if size > budget:
                break
            budget -= size
            index -= 1
        return index

    def detach_pollers(self) -> None:
        """Release waiting poll updates and refuse new ones (``StreamDraining``).

        Call before continuing as new; publishes still land, and queries still answer.
        """
        self._detaching = True

    async def continue_as_new(
        self,
        build_args: Callable[[WorkflowStreamState], Sequence[Any]],
        *,
        publisher_ttl: timedelta = DEFAULT_PUBLISHER_TTL,
    ) -> NoReturn:
        """Hand over to the next run quietly, detach pollers, and continue as new.

        A run that received 1 MiB or more per second of its life (at least 1 MiB) tells wstream
        publishers it is closing (its memo names it) and waits until one answers that it
        holds (at most ``closing_wait_seconds``), so the task that continues as new is not
        failed by an arriving publish (see the README, Long-lived streams). Publishes that
        still arrive are kept: they are in the state passed on. Your own signals that
        arrive meanwhile are handled by this run: let ``build_args``, called last, carry
        what they set.

        Args:
            build_args: Given the stream state, returns the next run's arguments.
            publisher_ttl: See :meth:`get_state`.

        Raises:
            StateTooLargeError: the publishers' dedup table would not fit in one payload;
                nothing was detached, and the workflow task fails (a fix can rescue it).
        """
        self.get_state(publisher_ttl=publisher_ttl)  # refuse early, before detaching anyone
        if self._publishing_fast():
            await self._hand_over_quietly()
        self.detach_pollers()
        await workflow.wait_condition(workflow.all_handlers_finished)
        state = self.get_state(publisher_ttl=publisher_ttl)
        # Whoever queries this run from now on reads a closed run, replayed for each answer.
        self._sealed_run = True
        workflow.continue_as_new(args=build_args(state))

    @staticmethod
    def _run_age_seconds() -> float:
        """Seconds since this run's first workflow task (replay-safe workflow time)."""
        return (workflow.now() - workflow.info().start_time).total_seconds()

    def _publishing_fast(self) -> bool:
        # Over at least a second: a young run with a few items is not a fast stream.
        age = max(self._run_age_seconds(), 1.0)
        return self.log_bytes_this_run >= limits.HAND_OVER_MIN_BYTES_PER_SECOND * age

    async def _hand_over_quietly(self) -> None:
        """Tell wstream publishers the run is closing; wait until one answers that it holds.

        A task that continues as new fails if a signal arrives while it runs, and the
        worker then replays the whole run; under a steady flow of publishes that repeats.
        A publisher's answer comes after its last batch to this run, so the task it starts
        meets none of that publisher's signals.
        """
        workflow.upsert_memo({CLOSING_MEMO: workflow.info().run_id})
        answers = self._holding_answers
        # A timeout means no wstream publisher is sending: nothing more to wait for. (On
        # Python 3.10 the timeout is asyncio's own TimeoutError, not the builtin one.)
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(
                lambda: self._holding_answers > answers, timeout=self._closing_wait_seconds
            )

    # -- handlers --------------------------------------------------------------------------

    def _on_holding(self, run_id: str) -> None:
        if run_id == workflow.info().run_id:
            self._holding_answers += 1

    def _wake_up_when_old_enough(self) -> None:
        """Past the budget but younger than ``min_run_seconds``: be woken at that age.

        Publishers may hold (or stop) meanwhile, and without a signal nothing would wake the
        workflow to see the suggestion turn true.
        """
        if self._wake_up is not None or self.log_bytes_this_run < self._max_run_log_bytes:
            return
        age = self._run_age_seconds()
        if age < self._min_run_seconds:
            self._wake_up = asyncio.create_task(asyncio.sleep(self._min_run_seconds - age))

    def _on_publish(self, raw: RawValue) -> None:
        self.signals_this_run += 1
        # Every signal lands in history, duplicates and malformed ones included.
        self.log_bytes_this_run += len(raw.payload.data)
        self._wake_up_when_old_enough()
        try:
            batch = parse_publish_columns(raw.payload.data)
        except MalformedInput as error:
            # Raising here would fail the workflow task again on every replay; the batch
            # cannot be applied either way, so it is reported and dropped.
            workflow.logger.warning("workflow stream dropped a publish signal: %s", error)
            self._metrics.malformed_signals.add(1)
            return
        if batch.publisher_id:
            known = self._publishers.get(batch.publisher_id)
            if known is not None and batch.sequence <= known.sequence:
                self._metrics.duplicate_batches.add(1)
                return
            self._publishers[batch.publisher_id] = PublisherState.at(batch.sequence, workflow.now())
        # Each topic's JSON is measured once per batch; a batch has few topics.
        topic_sizes = {
            topic: json_string_size(topic) + ITEM_OVERHEAD for topic in set(batch.topics)
        }
        pairs = zip(batch.topics, batch.data, strict=True)
        if plain_json_strings(raw.payload.data):
            # Nothing in the batch is escaped, so no item's wire form needs escaping either:
            # one scan of the signal instead of a check per item (a replay applies them all).
            sizes = [topic_sizes[topic] + len(data) + 2 for topic, data in pairs]
        else:
            sizes = [topic_sizes[topic] + json_string_size(data) for topic, data in pairs]
        first = self.end_offset
        self._retained_bytes += sum(sizes) + _digits(first, first + len(sizes))
        self._topics.extend(batch.topics)
        self._data.extend(batch.data)
        self._sizes.extend(sizes)
        self._metrics.appended_items.add(len(sizes))

    def _validate_poll(self, raw: RawValue) -> None:
        if self._detaching:
            raise ApplicationError(
                "the workflow stream is draining before continue-as-new; poll the next run",
                type=STREAM_DRAINING,
            )
        try:
            request = parse_poll(raw.payload.data)
        except MalformedInput as error:
            raise ApplicationError(str(error), non_retryable=True) from None
        if request.notify_only and self._waiting_notify_polls >= limits.MAX_WAITING_NOTIFY_POLLS:
            raise ApplicationError(
                "enough subscribers are long-polling this stream; poll by query instead",
                type=POLLERS_BUSY,
            )

    async def _on_poll(self, raw: RawValue) -> RawValue:
        self.updates_this_run += 1
        request = parse_poll(raw.payload.data)  # the validator has accepted it
        if request.notify_only:
            self._waiting_notify_polls += 1
        try:
            await workflow.wait_condition(
                lambda: (
                    request.from_offset < self._base_offset
                    or self.end_offset > request.from_offset
                    or self._detaching
                )
            )
        finally:
            if request.notify_only:
                self._waiting_notify_polls -= 1
        if 0 < request.from_offset < self._base_offset:
            raise ApplicationError(
                f"offset {request.from_offset} has been truncated; the stream now starts at "
                f"offset {self._base_offset}",
                type=TRUNCATED_OFFSET,
            )
        if request.notify_only:
            # Item bytes stay out of update results (and so out of history): the wstream
            # client reads them through the query.
            more = self.end_offset > request.from_offset
            return _raw(
                PollResult([], self.end_offset, more, self._base_offset, end_offset=self.end_offset)
            )
        return self._collect(request)

    def _on_poll_query(self, raw: RawValue) -> RawValue:
        request = parse_poll(raw.payload.data)
        if request.follow_segments and request.from_offset < self._base_offset:
            redirect = self._redirect(request.from_offset)
            if redirect is not None:
                return redirect
        return self._collect(request)

    def _redirect(self, offset: int) -> RawValue | None:
        """Send a reader of a sealed offset to the closed run that holds it.

        Offsets below the floor were truncated: the reader is sent past them (and counts
        them as skipped). An offset older than the directory goes to its oldest run, which
        knows the runs before it; a gap between segments is skipped the same way.
        """
        start = max(offset, self._sealed_floor)
        if start >= self._base_offset:
            return None
        for index, segment in enumerate(self._segments):
            if segment.end_offset <= start:
                continue
            if segment.first_offset > start and index > 0:
                start = segment.first_offset
            directory = list(self._segments)
            return _raw(PollResult([], start, True, self._base_offset, segment, directory))
        return None

    def _on_offset(self) -> int:
        return self.end_offset

    def _collect(self, request: PollInput) -> RawValue:
        if request.compress:
            return self._collect_compressed(request)
        return _raw(self._page(request, limits.MAX_POLL_RESPONSE_BYTES))

    def _page(self, request: PollInput, limit: int) -> PollResult:
        return page(
            self._topics,
            self._data,
            base_offset=self._base_offset,
            from_offset=request.from_offset,
            wanted=self._wanted(request),
            limit=limit,
            sizes=self._sizes,
        )

    def _wanted(self, request: PollInput) -> set[str] | None:
        return set(request.topics) if request.topics else None

    def _collect_compressed(self, request: PollInput) -> RawValue:
        """A compressed page as large as fits the answer's bound once compressed."""
        source_limit, level = (
            (limits.SEALED_COMPRESSED_SOURCE_BYTES, limits.SEALED_COMPRESSION_LEVEL)
            if self._sealed_run
            else (limits.MAX_COMPRESSED_SOURCE_BYTES, limits.COMPRESSION_LEVEL)
        )
        if request.raw_pages:
            return RawValue(
                raw_page(
                    self._topics,
                    self._data,
                    base_offset=self._base_offset,
                    from_offset=request.from_offset,
                    wanted=self._wanted(request),
                    limit=limits.MAX_POLL_RESPONSE_BYTES,
                    source_limit=source_limit,
                    level=level,
                )
            )
        return RawValue(
            packed_page(
                self._topics,
                self._data,
                self._sizes,
                base_offset=self._base_offset,
                from_offset=request.from_offset,
                wanted=self._wanted(request),
                limit=limits.MAX_POLL_RESPONSE_BYTES,
                source_limit=source_limit,
                level=level,
            )
        )


def _raw(answer: PollResult) -> RawValue:
    return RawValue(encode_poll_result(answer))


def _digits(start: int, end: int) -> int:
    """Total decimal digits of the offsets ``start`` to ``end - 1``."""
    total = 0
    width = len(str(start))
    while start < end:
        # Offsets of one width run up to the next power of ten.
        stop = min(end, 10**width)
        total += (stop - start) * width
        start = stop
        width += 1
    return total
