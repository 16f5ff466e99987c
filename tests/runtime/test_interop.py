"""Wire compatibility with the official temporalio.contrib.workflow_streams, both directions."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.common import RawValue
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.runtime.helpers import collect, start_host, start_official_host
from tests.runtime.stream_workflows import (
    Event,
    HostInput,
    HostWorkflow,
    OfficialHostWorkflow,
)
from wstream import WorkflowStreamClient
from wstream.wire import PUBLISH_SIGNAL


async def test_our_client_against_official_workflow(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_official_host(client, task_queue)
    ours = WorkflowStreamClient.create(client, handle.id, batch_interval=timedelta(milliseconds=20))
    events = ours.topic("events", type=Event)
    async with ours:
        for i in range(50):
            events.publish(Event(name="ours", n=i))
        await ours.flush()
        # The official client publishes into the same log; offsets are shared.
        async with OfficialClient.create(client, handle.id) as theirs:
            for i in range(5):
                theirs.topic("events", type=Event).publish(Event(name="theirs", n=i))
    assert await ours.get_offset() == 55
    items = await collect(ours.subscribe(["events"], result_type=Event), 55)
    assert [i.offset for i in items] == list(range(55))
    assert [i.data.n for i in items if i.data.name == "ours"] == list(range(50))
    # Reading from the middle works too, and a live item arrives at the tail.
    tail_task = asyncio.create_task(collect(events.subscribe(from_offset=54), 2))
    await asyncio.sleep(0.3)
    async with ours:
        events.publish(Event(name="late", n=99), force_flush=True)
    tail = await tail_task
    assert [(i.offset, i.data.name) for i in tail] == [(54, "theirs"), (55, "late")]
    await handle.signal(OfficialHostWorkflow.finish_now)


async def test_our_subscriber_long_polls_a_stream_the_official_module_hosts(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_official_host(client, task_queue)
    publisher = WorkflowStreamClient.create(client, handle.id)
    events = publisher.topic("events", type=Event)
    for i in range(3):
        events.publish(Event(name="before", n=i))
    await publisher.flush()
    follower = WorkflowStreamClient.create(client, handle.id)
    reader = asyncio.create_task(collect(follower.topic("events", type=Event).subscribe(), 5))

    async def parked() -> None:
        # Quiet at the tail for a few seconds, our subscriber parks on the poll update; the
        # official workflow ignores notify_only and will answer it with the items themselves.
        while not any(
            e.HasField("workflow_execution_update_accepted_event_attributes")
            for e in (await handle.fetch_history()).events
        ):
            await asyncio.sleep(0.2)

    await asyncio.wait_for(parked(), 30)
    for i in range(2):
        events.publish(Event(name="after", n=i))
    await publisher.flush()
    items = await asyncio.wait_for(reader, 30)
    assert [(i.offset, i.data.name, i.data.n) for i in items] == [
        (0, "before", 0), (1, "before", 1), (2, "before", 2), (3, "after", 0), (4, "after", 1)
    ]  # fmt: skip
    assert follower.poll_stats.long_polls >= 1
    # The long-poll was answered by the official handler, with the new items in its result.
    answered = [
        json.loads(
            e.workflow_execution_update_completed_event_attributes.outcome.success.payloads[0].data
        )
        for e in (await handle.fetch_history()).events
        if e.HasField("workflow_execution_update_completed_event_attributes")
    ]
    assert any(item["offset"] == 3 for answer in answered for item in answer["items"]), answered
    await handle.signal(OfficialHostWorkflow.finish_now)


async def test_official_client_against_our_workflow_across_continue_as_new(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=2))
    theirs = OfficialClient.create(client, handle.id, batch_interval=timedelta(milliseconds=20))
    received: list[tuple[int, str, int]] = []

    async def follow() -> None:
        while True:
            start = received[-1][0] + 1 if received else 0
            try:
                async for item in theirs.subscribe(["events"], start, result_type=Event):
                    received.append((item.offset, item.data.name, item.data.n))
                    if len(received) == 42:
                        return
            except RPCError as error:
                # The official client gives up when its first update reaches the new run
                # before that run's first workflow task (WorkflowNotReady); resubscribe.
                assert error.status == RPCStatusCode.FAILED_PRECONDITION, error

    reader = asyncio.create_task(follow())
    async with theirs:
        for i in range(20):
            theirs.topic("events", type=Event).publish(Event(name="theirs", n=i))
        await theirs.flush()
        await handle.signal(HostWorkflow.request_continue_as_new)
        for i in range(20, 40):
            theirs.topic("events", type=Event).publish(Event(name="theirs", n=i))
    await asyncio.wait_for(reader, 60)
    assert [r[0] for r in received] == list(range(42))
    assert [r[2] for r in received if r[1] == "theirs"] == list(range(40))
    # Our own client sees the same log after the continue-as-new.
    ours = WorkflowStreamClient.create(client, handle.id)
    assert await ours.get_offset() == 42
    desc = await client.get_workflow_handle(handle.id).describe()
    assert desc.run_id != handle.result_run_id
    await client.get_workflow_handle(handle.id).signal(HostWorkflow.finish_now)


@pytest.mark.parametrize("host", ["wstream", "official"])
async def test_a_resent_batch_is_applied_once_by_either_workflow(
    client: Client, worker: Worker, task_queue: str, host: str
) -> None:
    if host == "wstream":
        handle = await start_host(client, task_queue)
    else:
        handle = await start_official_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)
    events = stream.topic("events", type=Event)
    events.publish(Event(name="a", n=1))
    events.publish(Event(name="a", n=2))
    batch = stream._publisher._next_pending()
    assert batch is not None and batch.sequence == 1
    for _ in range(3):  # the same (publisher_id, sequence) three times, as a retry would
        await handle.signal(PUBLISH_SIGNAL, RawValue(batch.envelope))
    await stream.flush()  # and once more through the client, which still holds it pending
    events.publish(Event(name="b", n=3))
    await stream.flush()  # the next batch takes sequence 2 and is accepted
    assert await stream.get_offset() == 3
    items = await collect(events.subscribe(), 3)
    assert [i.data.n for i in items] == [1, 2, 3]
    await handle.signal("finish_now")
