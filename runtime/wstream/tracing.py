"""OpenTelemetry spans for flushes and polls, and links from consumers to publishers.

Needs the ``otel`` extra (``opentelemetry-api``); without it every function here does
nothing and returns ``None``. Spans go to the globally configured tracer provider, so they
land wherever the application's other spans go (and next to Temporal's own, when
``temporalio.contrib.opentelemetry`` is set up).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from wstream.item import WorkflowStreamItem

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
except ImportError:  # the otel extra is not installed
    trace = None  # type: ignore[assignment]
    otel_context = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from opentelemetry.trace import Link, Span

#: The instrumentation scope of every span here.
TRACER_NAME = "wstream"
_MESSAGING_SYSTEM = "temporal_workflow_stream"
#: Most links a flush span gets (one per distinct publishing span among its items).
MAX_FLUSH_LINKS = 32


def available() -> bool:
    """Whether ``opentelemetry-api`` is installed (the ``otel`` extra)."""
    return trace is not None


#: The last OpenTelemetry context :func:`current_traceparent` looked into, and its answer:
#: items published in a loop share one context (a new one is made only when a span starts
#: or ends), so the span is looked up and its text written once per context, not per item.
_last: tuple[Any, str | None] = (None, None)


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the sampled span current here, else ``None``.

    Only a sampled span is worth an item's bytes: a link to a span the sampler dropped leads
    nowhere, so with a ratio sampler only that share of items carries a context.
    """
    global _last
    if trace is None:
        return None
    current = otel_context.get_current()
    known, text = _last
    if current is known:
        return text
    context = trace.get_current_span(current).get_span_context()
    if context.is_valid and context.trace_flags.sampled:
        text = f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
    else:
        text = None
    _last = (current, text)
    return text


def parse_traceparent(traceparent: str) -> Any:
    """The span context a ``traceparent`` names, or ``None`` when it does not parse."""
    if trace is None:
        return None
    parts = traceparent.split("-")
    if len(parts) != 4 or len(parts[1]) != 32 or len(parts[2]) != 16 or len(parts[3]) != 2:
        return None
    try:
        trace_id, span_id, flags = int(parts[1], 16), int(parts[2], 16), int(parts[3], 16)
    except ValueError:
        return None
    context = trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=trace.TraceFlags(flags)
    )
    return context if context.is_valid else None


def _links(traceparents: Sequence[str | None], most: int = MAX_FLUSH_LINKS) -> list[Link]:
    links: list[Link] = []
    seen: set[str] = set()
    for traceparent in traceparents:
        if len(links) >= most:
            break
        if traceparent is None or traceparent in seen:
            continue
        seen.add(traceparent)
        context = parse_traceparent(traceparent)
        if context is not None:
            links.append(trace.Link(context))
    return links


def item_link(item: WorkflowStreamItem[Any]) -> Link | None:
    """A span link to the span that published ``item``, for a consumer's processing span.

    Returns:
        The link, or ``None`` when the item carries no trace context (published outside any
        span, from the workflow, by an official client, or without the ``otel`` extra).
    """
    if item.traceparent is None:
        return None
    links = _links([item.traceparent])
    return links[0] if links else None


@contextlib.contextmanager
def consume_span(item: WorkflowStreamItem[Any], name: str | None = None) -> Iterator[Span | None]:
    """Run the body in a consumer span linked to the span that published ``item``.

    Args:
        item: The item being processed.
        name: The span's name (default ``"process <topic>"``).

    Yields:
        The span, or ``None`` without the ``otel`` extra.
    """
    if trace is None:
        yield None
        return
    link = item_link(item)
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        name or f"process {item.topic}",
        kind=trace.SpanKind.CONSUMER,
        links=[link] if link is not None else None,
        attributes={
            "messaging.system": _MESSAGING_SYSTEM,
            "messaging.destination.name": item.topic,
            "wstream.offset": item.offset,
        },
    ) as span:
        yield span


@contextlib.contextmanager
def flush_span(
    workflow_id: str, sequence: int, items: int, size: int, traceparents: Sequence[str | None]
) -> Iterator[Span | None]:
    """One span around sending a publish batch, linked to the spans its items came from."""
    if trace is None:
        yield None
        return
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        "wstream.flush",
        kind=trace.SpanKind.PRODUCER,
        links=_links(traceparents),
        attributes={
            "messaging.system": _MESSAGING_SYSTEM,
            "messaging.operation.type": "send",
            "messaging.batch.message_count": items,
            "wstream.workflow_id": workflow_id,
            "wstream.batch.bytes": size,
            "wstream.batch.sequence": sequence,
        },
    ) as span:
        yield span


@contextlib.contextmanager
def poll_span(workflow_id: str, kind: str, from_offset: int) -> Iterator[Span | None]:
    """One span around a poll ``kind`` (``"query"`` or ``"update"``) from ``from_offset``."""
    if trace is None:
        yield None
        return
    with trace.get_tracer(TRACER_NAME).start_as_current_span(
        "wstream.poll",
        kind=trace.SpanKind.CLIENT,
        attributes={
            "messaging.system": _MESSAGING_SYSTEM,
            "messaging.operation.type": "receive",
            "wstream.workflow_id": workflow_id,
            "wstream.poll.kind": kind,
            "wstream.poll.from_offset": from_offset,
        },
    ) as span:
        yield span
