"""Exactly-once under faults on a real dev server: every item once, in each publisher's order."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from tests.reliability.faults import PublishFaults, faulty_client
from tests.reliability.tally import Tally, publish_paced, subscriber, until
from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import ALL_WORKFLOWS
from wstream import WorkflowStreamClient


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


async def start_worker_process(client: Client, task_queue: str) -> asyncio.subprocess.Process:
    """Start a worker for the stream workflows in a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.reliability.worker_process",
        client.service_client.config.target_host,
        client.namespace,
        task_queue,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), 30)
    assert line.strip() == b"ready", line
    return process


async def test_worker_crash_mid_stream(client: Client, task_queue: str) -> None:
    first = await start_worker_process(client, task_queue)
    handle = await start_host(client, task_queue)
    readers = [subscriber(client, handle.id, f"s{k}") for k in range(2)]
    tally = Tally("2 worker crash")
    publishers = [
        WorkflowStreamClient.create(
            client, handle.id, batch_interval=timedelta(milliseconds=50), max_batch_size=20
        )
        for _ in range(2)
    ]

    async def publish(tag: str, stream: WorkflowStreamClient) -> None:
        async with stream:
            tally.record_published(tag, await publish_paced(stream, tag, 1500, pause=0.01))

    publishing = asyncio.gather(*(publish(f"p{k}", s) for k, s in enumerate(publishers)))
    # Crash the worker (SIGKILL: no shutdown, its sticky cache is gone) once a third has
    # been read, or a third acknowledged when the readers lag on a loaded machine; a new
    # worker must then rebuild the stream by replaying history.
    progress = [p._publisher for p in publishers]
    await until(
        lambda: len(readers[0].items) >= 1000 or sum(p.settled_total for p in progress) >= 1000,
        60,
    )
    first.kill()
    await first.wait()
    at_crash = len(readers[0].items)
    assert not publishing.done()
    await asyncio.sleep(1.0)
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        await asyncio.wait_for(publishing, 120)
        end = await publishers[0].get_offset()
        for reader in readers:
            await reader.wait_for_offset(min(end, tally.total_published), 60)
            await reader.stop()
        tally.check(readers, f"worker killed after {at_crash} items were read")
        assert end == tally.total_published == 3000
        assert at_crash < 3000
        await handle.terminate()
