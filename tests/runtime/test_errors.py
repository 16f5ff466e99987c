"""Clear errors for streams that are not there and items that do not decode."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.worker import Worker

from tests.runtime.helpers import collect, start_host
from tests.runtime.stream_workflows import Event, HostWorkflow, NoStreamWorkflow
from wstream import ItemDecodeError, StreamNotFoundError, WorkflowStreamClient


async def test_missing_workflow_is_a_clear_error(client: Client) -> None:
    stream = WorkflowStreamClient.create(client, f"missing-{uuid.uuid4().hex[:8]}")
    with pytest.raises(StreamNotFoundError, match=r"workflow 'missing-\w+' not found"):
        await asyncio.wait_for(stream.subscribe().__anext__(), 30)
    with pytest.raises(StreamNotFoundError, match="not found"):
        await stream.get_offset()
    stream.topic("t").publish(1)
    with pytest.raises(StreamNotFoundError, match="not found"):
        await stream.flush()


async def test_workflow_without_a_stream_is_a_clear_error(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await client.start_workflow(
        NoStreamWorkflow.run, id=f"nostream-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    stream = WorkflowStreamClient.create(client, handle.id)
    with pytest.raises(StreamNotFoundError, match="hosts no workflow stream"):
        await asyncio.wait_for(stream.subscribe().__anext__(), 30)
    await handle.signal(NoStreamWorkflow.finish_now)


async def test_publishing_to_a_workflow_without_a_stream_sends_nothing_and_keeps_the_items(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await client.start_workflow(
        NoStreamWorkflow.run, id=f"nostream-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    events.publish(Event(name="a", n=1))
    events.publish(Event(name="b", n=2))
    expected = rf"workflow '{handle.id}' hosts no workflow stream.*nothing was sent, the 2 items"
    with pytest.raises(StreamNotFoundError, match=expected):
        await stream.flush()
    assert stream.buffered == 2
    with pytest.raises(StreamNotFoundError, match="the 3 items published stay buffered"):
        async with stream:
            events.publish(Event(name="c", n=3))
    assert stream.buffered == 3
    await handle.signal(NoStreamWorkflow.finish_now)
    await handle.result()
    history = await handle.fetch_history()
    signals = [
        event.workflow_execution_signaled_event_attributes.signal_name
        for event in history.events
        if event.HasField("workflow_execution_signaled_event_attributes")
    ]
    assert signals == ["finish_now"]


async def test_item_that_does_not_decode_names_topic_and_offset(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    async with stream:
        stream.topic("events").publish({"name": "ok", "n": 1})
        stream.topic("events").publish({"name": "foreign", "n": "not a number"})
    typed = WorkflowStreamClient.create(client, handle.id)
    with pytest.raises(ItemDecodeError, match=r"offset 1 on topic 'events'") as caught:
        await collect(typed.topic("events", type=Event).subscribe(), 2)
    assert caught.value.offset == 1 and caught.value.topic == "events"
    raw = await collect(typed.subscribe("events", from_offset=1, result_type=RawValue), 1)
    assert b"not a number" in raw[0].data.payload.data
    await handle.signal(HostWorkflow.finish_now)
