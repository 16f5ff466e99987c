"""Activities of the runtime tests."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity

from tests.runtime.stream_workflows import Event
from wstream import WorkflowStreamClient


@activity.defn
async def publish_from_activity(count: int) -> None:
    """Publish ``count`` events into the parent workflow's stream."""
    stream = WorkflowStreamClient.from_within_activity(batch_interval=timedelta(milliseconds=20))
    async with stream:
        events = stream.topic("events", type=Event)
        for i in range(count):
            events.publish(Event(name="activity", n=i))


ALL_ACTIVITIES = [publish_from_activity]
