"""The workflow side: construction rules, truncation, state limits, continue-as-new."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from temporal_server import SUGGEST_CONTINUE_AS_NEW_AT_EVENTS
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from tests.runtime.helpers import collect, start_host
from tests.runtime.stream_workflows import (
    BigStateWorkflow,
    Event,
    HostInput,
    HostWorkflow,
    LateStreamWorkflow,
    MisplacedStreamWorkflow,
    SuggestionWorkflow,
)
from wstream import StreamNotFoundError, WorkflowStream, WorkflowStreamClient


def test_constructing_outside_a_workflow_is_refused() -> None:
    with pytest.raises(RuntimeError, match="only be constructed inside a workflow"):
        WorkflowStream()


async def test_constructing_twice_or_in_run_is_refused(
    client: Client, worker: Worker, task_queue: str
) -> None:
    errors = await client.execute_workflow(
        MisplacedStreamWorkflow.run, id=f"misplaced-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    assert len(errors) == 2
    assert "already registered" in errors[0]
    assert "already registered" in errors[1]
    late = await client.execute_workflow(
        LateStreamWorkflow.run, id=f"late-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    assert "must be constructed directly from the workflow's @workflow.init" in late


async def test_truncate_out_of_range_fails_the_workflow_not_the_task(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=3))
    await handle.signal(HostWorkflow.request_truncate, 99)
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert "cannot truncate the workflow stream to offset 99: valid offsets are 0 to 3" in str(
        cause
    )


async def test_truncation_skips_are_counted_and_reads_resume_at_base(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=10))
    await handle.signal(HostWorkflow.request_truncate, 6)
    stream = WorkflowStreamClient.create(client, handle.id)
    while await stream.get_offset() != 10 or not await _truncated(stream):
        await asyncio.sleep(0.05)
    items = await collect(stream.subscribe(from_offset=2, result_type=Event), 4)
    assert [i.offset for i in items] == [6, 7, 8, 9]
    assert stream.poll_stats.items_skipped == 4
    await handle.signal(HostWorkflow.finish_now)


async def _truncated(stream: WorkflowStreamClient) -> bool:
    first = await collect(stream.subscribe(result_type=Event), 1)
    return first[0].offset == 6


async def test_a_log_larger_than_a_payload_continues_as_new_and_stays_readable(
    client: Client, worker: Worker, task_queue: str
) -> None:
    # ~4 MB retained: the whole log would not fit in one continue-as-new payload.
    workflow_id = f"big-{uuid.uuid4().hex[:8]}"
    base, end, segments = await client.execute_workflow(
        BigStateWorkflow.run, id=workflow_id, task_queue=task_queue
    )
    assert end == 30
    assert segments == 1
    assert 28 <= base < 30  # the next run carries only a tail of the newest items
    stream = WorkflowStreamClient.create(client, workflow_id)
    items = await collect(stream.subscribe(from_offset=0, result_type=str), 30)
    assert [i.offset for i in items] == list(range(30))
    assert [i.data[:3] for i in items] == [f"{i:03d}" for i in range(30)]
    assert stream.poll_stats.sealed_queries > 0
    assert stream.poll_stats.items_skipped == 0


async def test_subscriber_follows_continue_as_new_chain(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue, HostInput(continue_as_new_every=40, runs_left=3))
    stream = WorkflowStreamClient.create(client, handle.id)
    reader = asyncio.create_task(collect(stream.subscribe(result_type=Event), 150, timeout=90))
    events = stream.topic("events", type=Event)
    async with stream:
        for i in range(150):
            await events.publish_wait(Event(name="c", n=i))
            if i % 10 == 9:
                await stream.flush()
    items = await reader
    assert [i.data.n for i in items] == list(range(150))
    assert [i.offset for i in items] == list(range(150))
    first_run = handle.result_run_id
    latest = await client.get_workflow_handle(handle.id).describe()
    assert latest.run_id != first_run
    await client.get_workflow_handle(handle.id).signal(HostWorkflow.finish_now)


async def test_continue_as_new_is_suggested_when_history_grows(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await client.start_workflow(
        SuggestionWorkflow.run, id=f"suggest-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    stream = WorkflowStreamClient.create(client, handle.id, max_batch_size=1)
    sent = 0
    with pytest.raises(StreamNotFoundError, match="already completed"):
        while sent < 1_000:  # one signal per item, until the workflow has returned
            stream.topic("t", type=int).publish(sent)
            await stream.flush()
            sent += 1
    history_length, signals = await handle.result()
    assert history_length >= SUGGEST_CONTINUE_AS_NEW_AT_EVENTS
    assert 0 < signals <= sent
