"""Publishing from an activity into its parent workflow's stream."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.testing import ActivityEnvironment
from temporalio.worker import Worker

from tests.runtime.helpers import collect_all
from tests.runtime.stream_workflows import ActivityPublisherWorkflow, Event
from wstream import WorkflowStreamClient


async def test_from_within_activity_publishes_to_parent(
    client: Client, worker: Worker, task_queue: str
) -> None:
    workflow_id = f"act-{uuid.uuid4().hex[:8]}"
    end = await client.execute_workflow(
        ActivityPublisherWorkflow.run, 25, id=workflow_id, task_queue=task_queue
    )
    assert end == 25
    stream = WorkflowStreamClient.create(client, workflow_id)
    items = await collect_all(stream.subscribe(result_type=Event))
    assert [i.data.n for i in items] == list(range(25))


def test_outside_an_activity_is_refused() -> None:
    with pytest.raises(RuntimeError, match="must be called inside an activity"):
        WorkflowStreamClient.from_within_activity()


async def test_standalone_activity_is_told_to_use_create(client: Client) -> None:
    env = ActivityEnvironment(client=client)
    env.info = dataclasses.replace(env.info, workflow_id=None)

    @activity.defn
    async def standalone() -> None:
        WorkflowStreamClient.from_within_activity()

    with pytest.raises(RuntimeError, match=r"standalone activity.*WorkflowStreamClient\.create"):
        await env.run(standalone)
