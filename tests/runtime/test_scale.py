"""Scale behaviour the official module lacks: bounded batches and buffers, cheap history."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.worker import Worker

from tests.runtime.helpers import FIGURES, collect, start_host
from tests.runtime.stream_workflows import Event, HostWorkflow
from wstream import BufferFullError, ItemTooLargeError, ModelCodec, WorkflowStreamClient
from wstream.limits import DEFAULT_MAX_BATCH_BYTES


def record(i: int) -> Event:
    """A ~150-byte item."""
    return Event(name=f"order-{i:08d}-" + "x" * 100, n=i)


async def history(handle: WorkflowHandle[Any, Any]) -> tuple[int, int]:
    """(events, bytes) of the workflow's current run history, once it has settled.

    Signals that arrive while a workflow task runs are buffered by the server and counted
    only when that task completes, so wait until two readings agree.
    """
    last = (-1, -1)
    while True:
        info = (await handle.describe()).raw_description.workflow_execution_info
        now = (info.history_length, info.history_size_bytes)
        if now == last:
            return now
        last = now
        await asyncio.sleep(0.3)


async def test_burst_of_20000_publishes_is_split_and_delivered_once(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    async with stream:
        for i in range(20_000):
            events.publish(record(i))  # no awaits: one burst
    assert stream._publisher.sequence >= 20_000 * 150 // DEFAULT_MAX_BATCH_BYTES
    assert await stream.get_offset() == 20_000
    items = await collect(events.subscribe(), 20_000, timeout=120)
    counts = Counter(i.data.n for i in items)
    assert sorted(counts) == list(range(20_000))
    assert max(counts.values()) == 1
    await handle.signal(HostWorkflow.finish_now)


async def test_single_item_over_the_batch_limit_is_refused_at_publish(client: Client) -> None:
    stream = WorkflowStreamClient.create(client, "never-started", max_batch_bytes=10_000)
    with pytest.raises(ItemTooLargeError, match=r"topic 'big' is 1[0-9,]+ bytes encoded"):
        stream.topic("big", type=str).publish("y" * 10_000)
    assert stream.buffered == 0


async def test_buffer_is_bounded_and_publish_wait_waits_for_room(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(
        client, handle.id, max_buffer_items=50, max_batch_size=20, batch_interval=timedelta(hours=1)
    )
    events = stream.topic("events", type=Event)
    for i in range(50):
        events.publish(record(i))
    with pytest.raises(BufferFullError, match="publish buffer full while publishing to topic"):
        events.publish(record(50))
    peak = 0
    async with stream:
        for i in range(50, 1000):
            await events.publish_wait(record(i))
            peak = max(peak, len(stream._batcher))
    assert peak <= 50
    assert await stream.get_offset() == 1000
    items = await collect(events.subscribe(from_offset=990), 10)
    assert [i.data.n for i in items] == list(range(990, 1000))
    await handle.signal(HostWorkflow.finish_now)


async def test_backlog_is_read_through_the_query_without_growing_history(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    async with stream:
        for i in range(10_000):
            events.publish(record(i))
    payload_bytes = sum(ModelCodec(Event).encode(record(i)).ByteSize() for i in range(10_000))
    _, before = await history(handle)
    items = await collect(events.subscribe(), 10_000, timeout=120)
    assert len(items) == 10_000
    _, after = await history(handle)
    assert after - before < payload_bytes * 0.10
    await handle.signal(HostWorkflow.finish_now)


@pytest.mark.parametrize("count", [1, 20])
async def test_live_subscribers_cost_history_independent_of_their_number(
    client: Client, worker: Worker, task_queue: str, count: int
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(
        client, handle.id, batch_interval=timedelta(milliseconds=500)
    )
    events = stream.topic("events", type=Event)
    subscribers = [
        WorkflowStreamClient.create(client, handle.id).topic("events", type=Event)
        for _ in range(count)
    ]
    readers = [asyncio.create_task(collect(s.subscribe(), 200, timeout=120)) for s in subscribers]
    await asyncio.sleep(4)  # every subscriber idles at the tail long enough to long-poll
    _, before = await history(handle)
    async with stream:
        for i in range(200):
            events.publish(record(i))
            await asyncio.sleep(0.02)
    results = await asyncio.gather(*readers)  # any RESOURCE_EXHAUSTED would surface here
    assert all([i.data.n for i in r] == list(range(200)) for r in results)
    _, after = await history(handle)
    # What the publisher hands to Temporal: one serialized Payload per item.
    payload_bytes = sum(ModelCodec(Event).encode(record(i)).ByteSize() for i in range(200))
    _signals_spent, updates_spent = await handle.query(HostWorkflow.run_stats)
    FIGURES.append(
        f"{count} live subscriber(s), 200 items: history {(after - before) / 200:,.0f} B/item "
        f"(payload {payload_bytes / 200:,.0f} B/item), {updates_spent} updates spent"
    )
    assert after - before < 2 * payload_bytes
    assert updates_spent <= count
    await handle.signal(HostWorkflow.finish_now)


def test_pydantic_fast_path_writes_what_the_json_converter_reads() -> None:
    codec = ModelCodec(Event)
    value = record(7)
    payload = codec.encode(value)
    assert payload.metadata["encoding"] == b"json/plain"
    assert json.loads(payload.data) == json.loads(
        DataConverter.default.payload_converter.to_payloads([value.model_dump()])[0].data
    )
    assert DataConverter.default.payload_converter.from_payloads([payload], [Event])[0] == value
    assert codec.decode(payload) == value
