"""OpenTelemetry: flush and poll spans, and items that link a consumer to their publisher."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient
from temporalio.worker import Worker

from tests.runtime.activities import ALL_ACTIVITIES
from tests.runtime.helpers import (
    FailingSignals,
    collect,
    collect_all,
    start_host,
    start_official_host,
    with_interceptor,
)
from tests.runtime.stream_workflows import (
    ALL_WORKFLOWS,
    ActivityPublisherWorkflow,
    Event,
    OfficialHostWorkflow,
)
from wstream import WorkflowStreamClient
from wstream.tracing import consume_span, item_link

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module", autouse=True)
def provider() -> None:
    """One SDK tracer provider for the process (OpenTelemetry allows one global provider)."""
    current = trace.get_tracer_provider()
    if not isinstance(current, TracerProvider):
        current = TracerProvider()
        trace.set_tracer_provider(current)
    current.add_span_processor(SimpleSpanProcessor(_EXPORTER))


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    _EXPORTER.clear()
    yield _EXPORTER


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def traceparent(span: trace.Span | ReadableSpan) -> str:
    context = span.get_span_context()
    assert context is not None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


async def test_one_trace_links_publish_and_consume(
    client: Client, worker: Worker, task_queue: str, spans: InMemorySpanExporter
) -> None:
    handle = await start_host(client, task_queue)
    tracer = trace.get_tracer("test")
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    with tracer.start_as_current_span("produce") as produce:
        async with stream:
            for n in range(3):
                events.publish(Event(name="traced", n=n))
    async with stream:
        events.publish(Event(name="untraced", n=3))
    got = await collect(events.subscribe(), 4)
    assert [item.traceparent for item in got] == [traceparent(produce)] * 3 + [None]
    assert item_link(got[3]) is None
    for item in got[:3]:
        with consume_span(item) as span:
            assert span is not None
    consumed = named(spans, "process events")
    assert len(consumed) == 3
    for span in consumed:
        assert span.kind is trace.SpanKind.CONSUMER
        assert [link.context.span_id for link in span.links] == [produce.get_span_context().span_id]
        assert [link.context.trace_id for link in span.links] == [
            produce.get_span_context().trace_id
        ]
    first, second = named(spans, "wstream.flush")
    assert first.attributes is not None and second.attributes is not None
    assert first.attributes["messaging.batch.message_count"] == 3
    assert first.attributes["wstream.batch.sequence"] == 1
    assert first.attributes["wstream.batch.retries"] == 0
    assert first.attributes["wstream.workflow_id"] == handle.id
    assert int(str(first.attributes["wstream.batch.bytes"])) > 3 * 60
    assert [link.context.span_id for link in first.links] == [produce.get_span_context().span_id]
    assert second.attributes["wstream.batch.sequence"] == 2
    assert list(second.links) == []
    polls = named(spans, "wstream.poll")
    assert polls and all(
        p.attributes and p.attributes["wstream.poll.kind"] == "query" for p in polls
    )
    await handle.terminate()


async def test_a_retry_shows_on_the_flush_span(
    client: Client, worker: Worker, task_queue: str, spans: InMemorySpanExporter
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(with_interceptor(client, FailingSignals(2)), handle.id)
    async with stream:
        stream.topic("events", type=Event).publish(Event(name="x", n=0))
    (flush,) = named(spans, "wstream.flush")
    assert flush.attributes is not None and flush.attributes["wstream.batch.retries"] == 2
    assert flush.status.is_ok
    await handle.terminate()


async def test_the_context_goes_from_an_activity_through_the_workflow_to_the_subscriber(
    client: Client, task_queue: str, spans: InMemorySpanExporter
) -> None:
    # Temporal's own tracing interceptor on both sides: the activity runs in a span of the
    # trace that started the workflow, and the items it publishes carry that span.
    config = client.config()
    config["interceptors"] = [TracingInterceptor()]
    traced = Client(**config)
    async with Worker(
        traced, task_queue=task_queue, workflows=ALL_WORKFLOWS, activities=ALL_ACTIVITIES
    ):
        with trace.get_tracer("test").start_as_current_span("job") as job:
            handle = await traced.start_workflow(
                ActivityPublisherWorkflow.run,
                4,
                id=f"traced-{uuid.uuid4().hex[:8]}",
                task_queue=task_queue,
            )
            assert await handle.result() == 4
        got = await collect_all(WorkflowStreamClient.create(traced, handle.id).subscribe())
    (activity,) = named(spans, "RunActivity:publish_from_activity")
    assert activity.context is not None
    assert activity.context.trace_id == job.get_span_context().trace_id
    assert [item.traceparent for item in got] == [traceparent(activity)] * 4
    link = item_link(got[0])
    assert link is not None and link.context.trace_id == job.get_span_context().trace_id


async def test_official_peers_keep_the_context_and_ignore_it(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_official_host(client, task_queue)
    ours = WorkflowStreamClient.create(client, handle.id, stamp_publish_time=True)
    with trace.get_tracer("test").start_as_current_span("produce") as produce:
        async with ours:
            for n in range(3):
                ours.topic("events", type=Event).publish(Event(name="traced", n=n))
    # The official workflow stores the items as they came: our reader gets the context back.
    read = await collect(ours.subscribe("events", result_type=Event), 3)
    assert [item.traceparent for item in read] == [traceparent(produce)] * 3
    assert all(item.published_at is not None for item in read)
    # An official subscriber decodes the same items to the same values.
    theirs = OfficialClient.create(client, handle.id)
    official = await collect(theirs.subscribe("events", result_type=Event), 3)
    assert [item.data for item in official] == [item.data for item in read]
    await handle.signal(OfficialHostWorkflow.finish_now)


async def test_an_unsampled_span_gives_items_no_context(
    client: Client, worker: Worker, task_queue: str, spans: InMemorySpanExporter
) -> None:
    # A link to a span the sampler dropped would lead nowhere: such items stay light.
    unsampled = trace.NonRecordingSpan(
        trace.SpanContext(
            trace_id=0x0AF7651916CD43DD8448EB211C80319C,
            span_id=0xB7AD6B7169203331,
            is_remote=False,
            trace_flags=trace.TraceFlags(0),
        )
    )
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    with trace.use_span(unsampled):
        async with stream:
            events.publish(Event(name="unsampled", n=0))
    with trace.get_tracer("test").start_as_current_span("sampled") as sampled:
        async with stream:
            events.publish(Event(name="sampled", n=1))
    got = await collect(events.subscribe(), 2)
    assert [item.traceparent for item in got] == [None, traceparent(sampled)]
    await handle.terminate()
