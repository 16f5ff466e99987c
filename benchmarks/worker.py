"""The benchmark worker, run in its own process as a real worker would be.

``python -m benchmarks.worker ADDRESS TASK_QUEUE``; prints ``ready`` once polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from benchmarks.workflows import WORKFLOWS


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sys.argv[1], sys.argv[2]))
