"""What an item carries besides its value: the publisher's trace context and publish time.

Both travel as entries of the item's own ``Payload.metadata``, inside the wire format every
implementation already carries unchanged (``data`` is the serialized payload): the
workflow, official hosts included, stores them with the item, and official subscribers'
payload converters ignore metadata keys they do not know.

The trace context is written once per *trace run*: within one publish batch, the items of
one topic published under the same span, in order. The run's first item carries the
``traceparent`` and the run's length; the others carry nothing. A batch lands in the log as
one contiguous stretch of offsets, so a reader that saw the run's first item gives the next
``length - 1`` items of that topic the same context, exactly; one that starts reading in
the middle of a run sees no context for the rest of it (at most one batch).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from temporalio.api.common.v1 import Payload

#: W3C Trace Context ``traceparent`` of the sampled span that was current at ``publish()``.
TRACEPARENT_KEY = "traceparent"
#: Items of the same topic in the same batch, this one first, that share its trace context
#: (ASCII digits; absent for a run of one).
TRACE_RUN_KEY = "wstream-trace-run"
#: Milliseconds since the Unix epoch at ``publish()``, as ASCII digits.
PUBLISHED_AT_KEY = "wstream-published-at"
#: Longest run length a batch can hold (its digits bound the bytes a run's head gains).
_MAX_RUN_DIGITS = 7
#: Most bytes the trace context adds to a serialized payload: two metadata map entries.
_CONTEXT_BYTES = (4 + len(TRACEPARENT_KEY) + 2 + 55) + (
    4 + len(TRACE_RUN_KEY) + 2 + _MAX_RUN_DIGITS
)
#: Most characters the trace context adds to an item's wire form (base64 of its payload).
HEAD_RESERVE = 4 * (_CONTEXT_BYTES // 3 + 2)


def stamp_time(payload: Payload, *, own: bool) -> Payload:
    """Return ``payload`` with the publish time (now) added.

    Args:
        payload: The item's payload.
        own: Whether the payload was just made for this item and may be changed in place;
            a caller's own ``Payload`` is copied first, never changed.
    """
    if own:
        stamped = payload
    else:
        stamped = Payload()
        stamped.CopyFrom(payload)
    stamped.metadata[PUBLISHED_AT_KEY] = str(time.time_ns() // 1_000_000).encode("ascii")
    return stamped


def with_trace_run(body: bytes, traceparent: str, length: int) -> bytes:
    """Return an item's serialized payload with a trace run's context added (its first item)."""
    payload = Payload.FromString(body)
    payload.metadata[TRACEPARENT_KEY] = traceparent.encode("ascii")
    if length > 1:
        payload.metadata[TRACE_RUN_KEY] = str(length).encode("ascii")
    return payload.SerializeToString()


def traceparent_of(payload: Payload) -> str | None:
    """The trace context an item's payload carries itself, if a readable one."""
    value = payload.metadata.get(TRACEPARENT_KEY)
    if value is None:
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def trace_run_of(payload: Payload) -> int:
    """How many items (this one first) share the trace context this payload carries."""
    value = payload.metadata.get(TRACE_RUN_KEY)
    if value is None or not value.isdigit():
        return 1
    return max(1, int(value))


def published_at_of(payload: Payload) -> datetime | None:
    """When an item was published, if it carries a readable time stamp."""
    value = payload.metadata.get(PUBLISHED_AT_KEY)
    if value is None or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)


class TraceRuns:
    """A reader's view of the trace runs it is inside, topic by topic."""

    def __init__(self) -> None:
        """Start outside any run."""
        #: Per topic: the run's context and how many more items of the topic share it.
        self._open: dict[str, tuple[str, int]] = {}

    def context(self, topic: str, payload: Payload) -> str | None:
        """The trace context of the next item of ``topic`` read, whose payload this is."""
        own = traceparent_of(payload) if len(payload.metadata) > 1 else None
        if own is not None:
            length = trace_run_of(payload)
            if length > 1:
                self._open[topic] = (own, length - 1)
            else:
                self._open.pop(topic, None)
            return own
        current = self._open.get(topic)
        if current is None:
            return None
        context, left = current
        if left <= 1:
            del self._open[topic]
        else:
            self._open[topic] = (context, left - 1)
        return context

    def forget(self) -> None:
        """Leave every run: the reader skipped items, so it can no longer count them."""
        self._open.clear()
