"""continue_as_new_suggested() from the run's signal and update budgets, on a real server.

Temporal suggests continuing as new by itself after 4,096 history events (the session's dev
server: 300), long before 9,000 signals, and at 90% of its 2,000 updates per run, where the
stream's own update budget lies too. These tests run a dev server of their own on which
neither of Temporal's suggestions comes, so only the stream's budgets can fire, and they check
that Temporal's own suggestion stayed off.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio
from temporal_server import start_dev_server
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHandle
from temporalio.common import RawValue
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.runtime.budget_workflows import BudgetWorkflow
from wstream.limits import SIGNALS_BEFORE_CONTINUE_AS_NEW, UPDATES_BEFORE_CONTINUE_AS_NEW
from wstream.wire import POLL_HANDLER, PUBLISH_SIGNAL, PollInput


@pytest_asyncio.fixture(scope="module")
async def roomy_env() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server whose own continue-as-new suggestion never comes in these tests."""
    env = await start_dev_server(
        [
            "--log-level",
            "error",
            "--dynamic-config-value",
            "limit.historyCount.suggestContinueAsNew=1000000",
            "--dynamic-config-value",
            "history.maxTotalUpdates=100000",
        ]
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture
async def budget_host(
    roomy_env: WorkflowEnvironment, task_queue: str
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    """A running BudgetWorkflow with a worker of its own."""
    client = roomy_env.client
    async with Worker(client, task_queue=task_queue, workflows=[BudgetWorkflow]):
        handle = await client.start_workflow(
            BudgetWorkflow.run, id=f"budget-{uuid.uuid4().hex[:10]}", task_queue=task_queue
        )
        yield handle
        if (await handle.describe()).close_time is None:
            await handle.terminate()


async def in_waves(call: Callable[[int], Awaitable[Any]], count: int, at_once: int) -> None:
    """Await ``call(0)`` .. ``call(count - 1)`` with at most ``at_once`` in flight."""
    for start in range(0, count, at_once):
        await asyncio.gather(*(call(k) for k in range(start, min(count, start + at_once))))


def empty_batch(publisher: int) -> RawValue:
    """A publish batch with no items from a publisher of its own (counted all the same)."""
    body = {"items": [], "publisher_id": f"{publisher:016x}", "sequence": 1}
    return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(body).encode()))


async def test_the_signal_budget_suggests_continue_as_new(
    budget_host: WorkflowHandle[Any, Any],
) -> None:
    handle = budget_host
    last = SIGNALS_BEFORE_CONTINUE_AS_NEW
    sends = in_waves(lambda k: handle.signal(PUBLISH_SIGNAL, empty_batch(k)), last - 1, 500)
    await asyncio.wait_for(sends, 120)
    assert await handle.query(BudgetWorkflow.suggested) is False
    await handle.signal(PUBLISH_SIGNAL, empty_batch(last))
    signals, updates, by_temporal = await asyncio.wait_for(handle.result(), 60)
    assert (signals, updates, by_temporal) == (last, 0, 0)


async def test_the_update_budget_suggests_continue_as_new(
    budget_host: WorkflowHandle[Any, Any],
) -> None:
    handle = budget_host
    last = UPDATES_BEFORE_CONTINUE_AS_NEW
    # Polls for a topic nobody publishes, from before the workflow's one item: each is
    # answered at once, with nothing in it. Temporal holds at most 10 updates in flight.
    poll = PollInput(topics=["none"], from_offset=0)
    polls = in_waves(
        lambda _: handle.execute_update(POLL_HANDLER, poll, result_type=RawValue), last - 1, 8
    )
    await asyncio.wait_for(polls, 180)
    assert await handle.query(BudgetWorkflow.suggested) is False
    await handle.execute_update(POLL_HANDLER, poll, result_type=RawValue)
    signals, updates, by_temporal = await asyncio.wait_for(handle.result(), 60)
    assert (signals, updates, by_temporal) == (0, last, 0)
