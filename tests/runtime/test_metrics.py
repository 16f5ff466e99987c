"""Stream metrics read back from a MetricBuffer on the client's and the worker's runtime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.runtime import BufferedMetricUpdate, MetricBuffer, Runtime, TelemetryConfig
from temporalio.worker import Worker

from tests.runtime.helpers import (
    FailingSignals,
    collect,
    collect_all,
    start_host,
    with_interceptor,
)
from tests.runtime.stream_workflows import ALL_WORKFLOWS, Event
from wstream import BufferFullError, WorkflowStreamClient


class Metrics:
    """The wstream metric updates a MetricBuffer has seen, drained as they are read."""

    def __init__(self, buffer: MetricBuffer) -> None:
        self._buffer = buffer
        self.updates: list[BufferedMetricUpdate] = []

    def drain(self) -> list[BufferedMetricUpdate]:
        fresh = [u for u in self._buffer.retrieve_updates() if u.metric.name.startswith("wstream_")]
        self.updates.extend(fresh)
        return self.updates

    def of(self, name: str, **labels: str) -> list[BufferedMetricUpdate]:
        return [
            update
            for update in self.drain()
            if update.metric.name == name
            and all(update.attributes.get(k) == v for k, v in labels.items())
        ]

    def total(self, name: str, **labels: str) -> float:
        """The sum of a counter's increments (or of a histogram's values) with these labels."""
        return sum(update.value for update in self.of(name, **labels))

    def values(self, name: str, **labels: str) -> list[float]:
        return [update.value for update in self.of(name, **labels)]


@pytest.fixture(scope="module")
def buffer() -> MetricBuffer:
    return MetricBuffer(1_000_000)


@pytest_asyncio.fixture(scope="module")
async def metered(client: Client, buffer: MetricBuffer) -> Client:
    """A client like the session's, on a runtime whose metrics land in ``buffer``."""
    runtime = Runtime(telemetry=TelemetryConfig(metrics=buffer))
    return await Client.connect(
        client.service_client.config.target_host, namespace=client.namespace, runtime=runtime
    )


@pytest.fixture
def metrics(buffer: MetricBuffer) -> Iterator[Metrics]:
    buffer.retrieve_updates()  # what earlier tests left
    yield Metrics(buffer)


@pytest_asyncio.fixture
async def worker(metered: Client, task_queue: str) -> AsyncIterator[Worker]:
    """A worker on the metered runtime, so the workflow side's metrics land there too."""
    async with Worker(metered, task_queue=task_queue, workflows=ALL_WORKFLOWS) as running:
        yield running


async def publish(stream: WorkflowStreamClient, topic: str, count: int) -> None:
    events = stream.topic(topic, type=Event)
    async with stream:
        for n in range(count):
            await events.publish_wait(Event(name=topic, n=n))


async def test_counts_equal_what_was_published_and_received(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    signals = FailingSignals(0)
    # Small batches, so the items travel in several signals.
    stream = WorkflowStreamClient.create(
        with_interceptor(metered, signals), handle.id, max_batch_bytes=4096
    )
    await publish(stream, "a", 300)
    await publish(stream, "b", 200)
    reader = WorkflowStreamClient.create(metered, handle.id)
    got = await collect(reader.subscribe(["a", "b"], result_type=Event), 500)
    await handle.signal("finish_now")
    await handle.result()
    assert len(got) == 500
    assert metrics.total("wstream_published_items", topic="a") == 300
    assert metrics.total("wstream_published_items", topic="b") == 200
    # Every signal sent is a batch's first attempt or a retry (the flusher stopped by the
    # block's exit mid-send leaves its batch to the final flush, which sends it again).
    batches = metrics.total("wstream_publish_batches", namespace=metered.namespace)
    retries = metrics.total("wstream_publish_retries")
    assert batches == 12  # 300 and 200 items of ~90 bytes in 4 KiB batches
    assert batches + retries == signals.sent
    # Bytes are the items' JSON in the batches: a little more than their base64 payloads.
    published_bytes = metrics.total("wstream_published_bytes")
    assert 500 * 60 < published_bytes < 500 * 200
    assert len(metrics.values("wstream_flush_latency")) == batches
    assert metrics.total("wstream_received_items", topic="a") == 300
    assert metrics.total("wstream_received_items", topic="b") == 200
    assert metrics.total("wstream_poll_queries") >= 1
    # The workflow side, on its replay-safe meter: each item appended once.
    assert metrics.total("wstream_workflow_appended_items") == 500
    assert metrics.total("wstream_workflow_duplicate_batches") <= retries
    # Everything acknowledged: the last buffer gauges read empty.
    assert metrics.values("wstream_buffered_items", workflow_id=handle.id)[-1] == 0
    assert metrics.values("wstream_buffered_bytes", workflow_id=handle.id)[-1] == 0


async def test_a_retry_shows_up_as_a_retry(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    failing = FailingSignals(2)
    stream = WorkflowStreamClient.create(with_interceptor(metered, failing), handle.id)
    await publish(stream, "a", 10)
    assert metrics.total("wstream_publish_retries") == 2
    assert metrics.total("wstream_publish_batches") == 1
    assert metrics.total("wstream_published_items", topic="a") == 10
    assert metrics.total("wstream_dropped_items") == 0
    # While the signal failed, the gauge showed the 10 items waiting; then none.
    assert metrics.values("wstream_buffered_items", workflow_id=handle.id) == [10, 10, 0]
    await handle.terminate()


async def test_a_batch_dropped_after_its_retry_deadline_counts_its_items(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    stream = WorkflowStreamClient.create(
        with_interceptor(metered, FailingSignals(10**6)),
        handle.id,
        max_retry_duration=timedelta(milliseconds=300),
    )
    with pytest.raises(TimeoutError):
        await publish(stream, "a", 7)
    assert metrics.total("wstream_dropped_items") == 7
    assert metrics.total("wstream_published_items") == 0
    assert metrics.total("wstream_publish_retries") >= 1
    await handle.terminate()


async def test_a_full_buffer_is_counted(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    stream = WorkflowStreamClient.create(metered, handle.id, max_buffer_items=2)
    events = stream.topic("a", type=Event)
    events.publish(Event(name="a", n=0))
    events.publish(Event(name="a", n=1))
    for n in range(3):
        with pytest.raises(BufferFullError):
            events.publish(Event(name="a", n=2 + n))
    assert metrics.total("wstream_buffer_full") == 3
    await stream.flush()
    await handle.terminate()


async def test_a_lagging_subscriber_reports_its_lag(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    await publish(WorkflowStreamClient.create(metered, handle.id), "a", 5000)
    reader = WorkflowStreamClient.create(metered, handle.id)
    subscription = reader.subscribe(["a"], result_type=Event)
    first = await collect(subscription, 1)
    assert first[0].offset == 0
    # Its first page came while all 5,000 items were ahead of it.
    assert metrics.values("wstream_subscriber_lag", workflow_id=handle.id)[0] == 5000
    rest = await collect(subscription, 4999)
    assert rest[-1].offset == 4999
    await asyncio.sleep(0.5)  # one more poll at the tail
    assert metrics.values("wstream_subscriber_lag", workflow_id=handle.id)[-1] == 0
    await subscription.aclose()  # type: ignore[attr-defined]
    await handle.terminate()


async def test_truncated_items_skipped_by_a_subscriber_are_counted(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    await publish(WorkflowStreamClient.create(metered, handle.id), "a", 60)
    await handle.signal("request_truncate", 50)
    while await WorkflowStreamClient.create(metered, handle.id).get_offset() != 60:
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # the truncation signal handled
    reader = WorkflowStreamClient.create(metered, handle.id)
    got = await collect(reader.subscribe(["a"], from_offset=5, result_type=Event), 10)
    assert [item.offset for item in got] == list(range(50, 60))
    assert reader.poll_stats.items_skipped == 45
    assert metrics.total("wstream_skipped_items") == 45
    await handle.terminate()


async def test_time_stamped_items_report_their_delivery_latency(
    metered: Client, worker: Worker, task_queue: str, metrics: Metrics
) -> None:
    handle = await start_host(metered, task_queue)
    before = datetime.now(timezone.utc)
    await publish(WorkflowStreamClient.create(metered, handle.id, stamp_publish_time=True), "a", 20)
    await publish(WorkflowStreamClient.create(metered, handle.id), "a", 5)  # not stamped
    await handle.signal("finish_now")
    got = await collect_all(WorkflowStreamClient.create(metered, handle.id).subscribe("a"))
    after = datetime.now(timezone.utc)
    stamped = [item.published_at for item in got[:20]]
    assert all(at is not None and before - timedelta(seconds=1) <= at <= after for at in stamped)
    assert [item.published_at for item in got[20:]] == [None] * 5
    latencies = metrics.values("wstream_delivery_latency")
    assert len(latencies) == 20
    longest_ms = (after - before).total_seconds() * 1000 + 1000
    assert all(0 <= ms <= longest_ms for ms in latencies)
