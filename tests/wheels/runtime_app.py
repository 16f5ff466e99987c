"""Copied into a clean venv with only the runtime wheel: a stream, a publisher, a subscriber.

Run as ``python -c "import runtime_app; runtime_app.main()" ADDRESS REPO`` from its own
directory (never from the repository): prints one JSON object, then leaves with ``os._exit``
(temporalio's core threads can abort a short-lived interpreter at finalization).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from typing import Any

from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    import wstream
    import wstream.tracing
    from wstream import WorkflowStream, WorkflowStreamClient


@workflow.defn
class PlainHost:
    """Hosts a stream and publishes one item itself, until told to finish."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()
        self.done = False

    @workflow.run
    async def run(self) -> None:
        self.stream.topic("words", type=str).publish("from-workflow")
        await workflow.wait_condition(lambda: self.done)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


def isolation(repo: str) -> dict[str, Any]:
    """Where the imports come from: nothing of the repository may be on the path."""
    return {
        "repo_on_path": [entry for entry in sys.path if entry and entry.startswith(repo)],
        "wstream_in_venv": wstream.__file__.startswith(sys.prefix),
        # Without the otel extra: publishing and reading must work with tracing absent.
        "tracing_available": wstream.tracing.available(),
    }


async def round_trip(address: str) -> list[list[Any]]:
    client = await Client.connect(address)
    queue = f"wheel-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[PlainHost]):
        handle = await client.start_workflow(
            PlainHost.run, id=f"wheel-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        stream = WorkflowStreamClient.create(client, handle.id)
        numbers = stream.topic("numbers", type=int)
        async with stream:
            for n in range(3):
                numbers.publish(n)
        await handle.signal(PlainHost.finish)
        return [[item.topic, item.data, item.offset] async for item in stream.subscribe()]


def main() -> None:
    address, repo = sys.argv[1:3]
    result = {**isolation(repo), "items": asyncio.run(round_trip(address))}
    print(json.dumps(result), flush=True)
    os._exit(0)
