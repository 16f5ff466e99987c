"""A worker in a process of its own, so a test can kill it as a crash would.

Usage: ``python -m tests.reliability.worker_process TARGET NAMESPACE TASK_QUEUE``; prints
``ready`` once it polls.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.stream_workflows import ALL_WORKFLOWS


async def main(target: str, namespace: str, task_queue: str) -> None:
    """Run a worker for the stream workflows until killed."""
    client = await Client.connect(target, namespace=namespace)
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=ALL_WORKFLOWS,
        # Tasks sent to this (dead) worker's sticky queue move to the shared queue quickly.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=1),
    )
    async with worker:
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
