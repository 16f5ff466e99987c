"""The benchmark worker, run in its own process as a real worker would be.

``python -m benchmarks.worker ADDRESS TASK_QUEUE [--metrics]``; prints ``ready`` once
polling. With ``--metrics`` its runtime exports metrics (Prometheus, on a free local port),
so the workflow side's replay-safe meter records for real (scenario 11).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys

from temporalio.client import Client
from temporalio.worker import Worker

from benchmarks.observed import metered_runtime
from benchmarks.workflows import WORKFLOWS


async def serve(address: str, task_queue: str, metrics: bool) -> None:
    client = await Client.connect(address, runtime=metered_runtime() if metrics else None)
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sys.argv[1], sys.argv[2], "--metrics" in sys.argv[3:]))
