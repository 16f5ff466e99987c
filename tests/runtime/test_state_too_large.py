"""A state too large for one payload: refused before anyone is detached, and the task fails."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateStage
from temporalio.common import RawValue
from temporalio.worker import Worker

from tests.runtime.stream_workflows import CrowdedStreamWorkflow
from wstream.wire import POLL_HANDLER, PollInput, encode_poll


async def test_too_many_publishers_fail_the_task_not_the_workflow_and_detach_nobody(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await client.start_workflow(
        CrowdedStreamWorkflow.run, id=f"crowded-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    # A long-poll waiting at the end: continue_as_new would release it with StreamDraining.
    await handle.start_update(
        POLL_HANDLER,
        RawValue(encode_poll(PollInput(from_offset=0, notify_only=True))),
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
        result_type=RawValue,
    )
    await handle.signal(CrowdedStreamWorkflow.continue_now)
    failure = ""
    updates_done = 0
    for _ in range(200):
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                failure = event.workflow_task_failed_event_attributes.failure.message
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                updates_done += 1
        if failure:
            break
        await asyncio.sleep(0.05)
    assert "remembers 25,000 publishers" in failure
    assert "publisher_ttl" in failure
    # The workflow runs on (a deployed fix can rescue it), and the poller was not detached:
    # its update is still open (StreamDraining would have completed it).
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert updates_done == 0
    await handle.terminate("test over")
