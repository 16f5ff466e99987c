"""RunWatch: when a publisher holds back for a run that cannot continue as new, and when not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.api.enums.v1 import WorkflowExecutionStatus as RawStatus
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionResponse
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.converter import DataConverter
from temporalio.worker import Worker

from tests.runtime.helpers import collect_all
from tests.runtime.long_stream_workflows import LongInput, LongStreamWorkflow
from tests.runtime.test_long_stream import PAD, finish, start_long
from wstream import WorkflowStreamClient, limits, run_watch
from wstream.wire import CLOSING_MEMO

MB = 1000 * 1000


async def description(
    size: int,
    attempt: int,
    status: RawStatus.ValueType = RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
    *,
    closing_run: str | None = None,
) -> WorkflowExecutionDescription:
    raw = DescribeWorkflowExecutionResponse()
    if closing_run is not None:
        memo = raw.workflow_execution_info.memo.fields[CLOSING_MEMO]
        memo.CopyFrom(DataConverter.default.payload_converter.to_payload(closing_run))
    raw.workflow_execution_info.execution.workflow_id = "w"
    raw.workflow_execution_info.execution.run_id = "r"
    raw.workflow_execution_info.status = status
    raw.workflow_execution_info.history_size_bytes = size
    if attempt:
        raw.pending_workflow_task.attempt = attempt
    return await WorkflowExecutionDescription._from_raw_description(
        raw, namespace="default", converter=DataConverter.default
    )


@pytest.mark.parametrize(
    ("size", "attempt", "status", "holds"),
    [
        (5 * MB, 2, RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, True),
        (5 * MB, 1, RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, False),
        (1 * MB, 5, RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, False),
        (33 * MB, 0, RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, True),
        (33 * MB, 3, RawStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, False),
    ],
)
async def test_which_runs_are_starving(
    size: int, attempt: int, status: RawStatus.ValueType, holds: bool
) -> None:
    assert run_watch._starving(await description(size, attempt, status)) is holds


@pytest.mark.parametrize(
    ("closing_run", "status", "holds"),
    [
        ("r", RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, True),
        # The next run inherits its predecessor's memo: that names another run.
        ("the-run-before", RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, False),
        (None, RawStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, False),
        ("r", RawStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, False),
    ],
)
async def test_a_run_that_announces_its_own_close_is_held_for(
    closing_run: str | None, status: RawStatus.ValueType, holds: bool
) -> None:
    described = await description(1 * MB, 1, status, closing_run=closing_run)
    assert await run_watch._closing(described) is holds


@pytest_asyncio.fixture
async def long_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    async with Worker(client, task_queue=task_queue, workflows=[LongStreamWorkflow]) as worker:
        yield worker


async def publish_through_watch(client: Client, workflow_id: str, count: int) -> run_watch.RunWatch:
    stream = WorkflowStreamClient.create(client, workflow_id, max_batch_bytes=16 * 1024)
    items = stream.topic("items", type=str)
    async with stream:
        for n in range(count):
            await items.publish_wait(f"p:{n:06d}:{PAD}")
    return stream._publisher.run_watch


async def test_a_healthy_run_is_never_held(
    client: Client, long_worker: Worker, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_watch, "CHECK_EVERY_BYTES", 32 * 1024)
    workflow_id = await start_long(client, task_queue, LongInput(run_log_bytes=1 << 40))
    watch = await publish_through_watch(client, workflow_id, 4_000)  # ~1 MB, 30+ looks
    assert watch.holds == 0
    await finish(client, workflow_id)


async def test_a_held_publisher_waits_then_delivers_everything_once(
    client: Client, long_worker: Worker, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every running run counts as past the hold size: each look holds until the deadline.
    monkeypatch.setattr(run_watch, "CHECK_EVERY_BYTES", 256 * 1024)
    monkeypatch.setattr(run_watch, "HOLD_AT_BYTES", 1)
    monkeypatch.setattr(run_watch, "MAX_HOLD_SECONDS", 0.3)
    workflow_id = await start_long(client, task_queue, LongInput(run_log_bytes=1 << 40))
    watch = await publish_through_watch(client, workflow_id, 3_000)  # ~780 KB
    assert watch.holds >= 2
    assert watch.held_seconds >= 0.3 * watch.holds
    await finish(client, workflow_id)
    stream = WorkflowStreamClient.create(client, workflow_id)
    items = await collect_all(stream.subscribe(["items"], result_type=str))
    assert [i.data for i in items] == [f"p:{n:06d}:{PAD}" for n in range(3_000)]


async def test_a_publisher_holds_while_the_run_announces_its_close(
    client: Client, long_worker: Worker, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run_watch, "CHECK_EVERY_BYTES", 32 * 1024)
    # No run counts as starving: every hold here answers the workflow's announcement.
    monkeypatch.setattr(run_watch, "HOLD_AT_BYTES", 1 << 50)
    monkeypatch.setattr(run_watch, "LARGE_RUN_BYTES", 1 << 50)
    # Every run counts as a fast stream, which hands over through the announcement.
    monkeypatch.setattr(limits, "HAND_OVER_MIN_BYTES_PER_SECOND", 1)
    args = LongInput(run_log_bytes=256 * 1024, closing_wait_seconds=0.5)
    workflow_id = await start_long(client, task_queue, args)
    watch = await publish_through_watch(client, workflow_id, 4_000)  # ~1 MB: several runs
    assert await client.get_workflow_handle(workflow_id).query(LongStreamWorkflow.current_run) >= 1
    assert watch.holds >= 1
    assert watch.held_seconds > 0
    await finish(client, workflow_id)
    stream = WorkflowStreamClient.create(client, workflow_id)
    items = await collect_all(stream.subscribe(["items"], result_type=str))
    assert [i.data for i in items] == [f"p:{n:06d}:{PAD}" for n in range(4_000)]
