"""wstream imported inside the workflow sandbox, not passed through, still carries its state."""

from __future__ import annotations

import uuid

from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.unpassed_workflows import CarryInput, CarryWorkflow
from wstream import WorkflowStreamClient


async def test_state_crosses_continue_as_new_when_wstream_is_sandboxed(
    client: Client, task_queue: str
) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[CarryWorkflow]):
        handle = await client.start_workflow(
            CarryWorkflow.run,
            CarryInput(),
            id=f"carry-{uuid.uuid4().hex[:8]}",
            task_queue=task_queue,
        )
        stream = WorkflowStreamClient.create(client, handle.id)
        async with stream:
            stream.topic("t", type=int).publish(1)
        await handle.signal(CarryWorkflow.request_continue_as_new)
        assert await client.get_workflow_handle(handle.id).result() == 2
