"""Exactly-once under faults on a real dev server: every item once, in each publisher's order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from tests.reliability.faults import PublishFaults, faulty_client
from tests.reliability.tally import Reader, Tally, publish_paced
from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import Event
from wstream import WorkflowStreamClient


def subscriber(client: Client, workflow_id: str, name: str, from_offset: int = 0) -> Reader:
    """A subscriber of its own (its own stream client) following the events topic."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    return Reader(name, stream.topic("events", type=Event).subscribe(from_offset))


async def test_delivered_but_reported_failed_is_applied_once(
    client: Client, worker: Worker, task_queue: str
) -> None:
    faults = PublishFaults(fail_after_rate=0.10)
    flaky = faulty_client(client, faults)
    handle = await start_host(client, task_queue)
    readers = [subscriber(client, handle.id, f"s{k}") for k in range(2)]
    tally = Tally("1 delivered but reported failed")
    publishers = [
        WorkflowStreamClient.create(
            flaky, handle.id, batch_interval=timedelta(milliseconds=50), max_batch_size=20
        )
        for _ in range(3)
    ]

    async def publish(tag: str, stream: WorkflowStreamClient) -> None:
        async with stream:
            tally.record_published(tag, await publish_paced(stream, tag, 2000))

    await asyncio.wait_for(
        asyncio.gather(*(publish(f"p{k}", s) for k, s in enumerate(publishers))), 120
    )
    end = await publishers[0].get_offset()
    for reader in readers:
        await reader.wait_for_offset(min(end, tally.total_published), 60)
        await reader.stop()
    retries = sum(p._publisher.retries for p in publishers)
    tally.check(
        readers,
        f"{faults.delivered_but_failed} of {faults.delivered} publish signals delivered and "
        f"reported failed, {retries} retries",
    )
    assert end == tally.total_published == 6000
    assert faults.delivered_but_failed >= 10
    assert retries >= faults.delivered_but_failed
    await handle.terminate()
