"""Small helpers shared by the runtime tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    WorkflowExecution,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from tests.runtime.stream_workflows import (
    HostInput,
    HostWorkflow,
    OfficialHostInput,
    OfficialHostWorkflow,
)
from wstream import WorkflowStreamItem
from wstream.wire import PUBLISH_SIGNAL

T = TypeVar("T")

#: Measured figures of the runtime tests, printed in the terminal summary.
FIGURES: list[str] = []


async def start_host(
    client: Client, task_queue: str, args: HostInput | None = None
) -> WorkflowHandle[Any, Any]:
    """Start a HostWorkflow with a fresh id."""
    return await client.start_workflow(
        HostWorkflow.run,
        args or HostInput(),
        id=f"host-{uuid.uuid4().hex[:10]}",
        task_queue=task_queue,
    )


async def start_official_host(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """Start an OfficialHostWorkflow (the official module's stream) with a fresh id."""
    return await client.start_workflow(
        OfficialHostWorkflow.run,
        OfficialHostInput(),
        id=f"official-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
    )


async def collect(
    items: AsyncIterator[WorkflowStreamItem[T]], count: int, timeout: float = 60.0
) -> list[WorkflowStreamItem[T]]:
    """Read exactly ``count`` items from a subscription (fails on timeout)."""
    got: list[WorkflowStreamItem[T]] = []

    async def read() -> None:
        async for item in items:
            got.append(item)
            if len(got) >= count:
                return

    await asyncio.wait_for(read(), timeout)
    return got


async def collect_all(
    items: AsyncIterator[WorkflowStreamItem[T]], timeout: float = 60.0
) -> list[WorkflowStreamItem[T]]:
    """Read a subscription until it ends by itself (the workflow closed)."""

    async def read() -> list[WorkflowStreamItem[T]]:
        return [item async for item in items]

    return await asyncio.wait_for(read(), timeout)


async def runs_of(client: Client, workflow_id: str) -> list[WorkflowExecution]:
    """Every run of the chain, as visibility lists them (waits for the last to show)."""
    for _ in range(100):
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        if runs and all(r.status is not None for r in runs):
            statuses = {r.status for r in runs}
            if WorkflowExecutionStatus.RUNNING not in statuses:
                return runs
        await asyncio.sleep(0.1)
    raise AssertionError(f"visibility did not list the closed chain of {workflow_id}")


def with_interceptor(client: Client, interceptor: Interceptor) -> Client:
    """A client like ``client`` whose calls go through ``interceptor``."""
    config = client.config()
    config["interceptors"] = [interceptor]
    return Client(**config)


class FailingSignals(Interceptor):
    """Fails publish signals as an unreachable server would (UNAVAILABLE, not applied)."""

    def __init__(self, failures: int) -> None:
        self.failures_left = failures
        self.sent = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Failing(self, next)


class _Failing(OutboundInterceptor):
    def __init__(self, owner: FailingSignals, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._owner = owner

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        if input.signal == PUBLISH_SIGNAL:
            if self._owner.failures_left > 0:
                self._owner.failures_left -= 1
                raise RPCError("server unreachable (test)", RPCStatusCode.UNAVAILABLE, b"")
            self._owner.sent += 1
        return await super().signal_workflow(input)
