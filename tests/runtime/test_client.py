"""WorkflowStreamClient against a wstream workflow on a real dev server."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.worker import Worker

from tests.runtime.helpers import collect, collect_all, start_host
from tests.runtime.stream_workflows import Event, HostInput, HostWorkflow
from wstream import PayloadTypeError, WorkflowStreamClient


async def test_publish_then_subscribe_typed(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=3))
    stream = WorkflowStreamClient.create(
        client, handle.id, batch_interval=timedelta(milliseconds=50)
    )
    events = stream.topic("events", type=Event)
    async with stream:
        for i in range(100):
            events.publish(Event(name="client", n=i))
    assert await stream.get_offset() == 103
    items = await collect(events.subscribe(), 103)
    assert [i.offset for i in items] == list(range(103))
    assert all(isinstance(i.data, Event) for i in items)
    # The workflow's own items land around the client's, each source in its own order.
    assert [i.data.n for i in items if i.data.name == "client"] == list(range(100))
    assert [i.data.n for i in items if i.data.name == "from-workflow"] == [0, 1, 2]
    await handle.signal(HostWorkflow.finish_now)
    assert await handle.result() == 103


async def test_subscription_ends_after_workflow_closes(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    async with stream:
        for i in range(10):
            stream.topic("events", type=Event).publish(Event(name="x", n=i))
    await handle.signal(HostWorkflow.finish_now)
    items = await collect_all(stream.subscribe(["events"], from_offset=4, result_type=Event))
    assert [i.data.n for i in items] == list(range(4, 10))


async def test_raw_values_and_prebuilt_payloads(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    raw = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01")
    async with stream:
        stream.topic("bin").publish(raw)
        stream.topic("json").publish({"a": 1})
    items = await collect(stream.subscribe(result_type=RawValue), 2)
    assert isinstance(items[0].data, RawValue)
    assert items[0].data.payload == raw
    untyped = await collect(stream.subscribe("json"), 1)
    assert untyped[0].data == {"a": 1} and untyped[0].offset == 1
    # A RuntimeError as the official raises, and still a TypeError as wstream raised before.
    with pytest.raises(PayloadTypeError, match=r"result_type=Payload.*result_type=.*RawValue"):
        stream.subscribe(result_type=Payload)
    with pytest.raises(PayloadTypeError, match="type=Payload"):
        stream.topic("p", type=Payload)
    await handle.signal(HostWorkflow.finish_now)


async def test_topic_binding_rules(client: Client) -> None:
    stream = WorkflowStreamClient.create(client, "no-such-workflow")
    first = stream.topic("t", type=Event)
    again = stream.topic("t", type=Event)
    assert again.type is Event and first.name == "t"
    with pytest.raises(RuntimeError, match="already bound to type Event"):
        stream.topic("t", type=int)
    anything: Any = stream.topic("u")
    assert anything.type is Any
    assert stream.topic("u", type=None).type is Any  # the official's default spelling
