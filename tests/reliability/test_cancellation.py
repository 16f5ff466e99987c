"""Cancelling what the runtime runs in the background ends it promptly, on every Python.

``asyncio.wait_for`` on Python 3.10/3.11 returns normally when a cancellation arrives just as
its inner awaitable finishes; the SSE bridge waits through ``wstream.sse.tasks`` instead, and
these tests hit that window on purpose. The last test follows a subscription parked on the
long-poll update, where temporalio turns the cancellation into an ordinary exception.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import HostWorkflow
from wstream import WorkflowStreamClient
from wstream.sse.tasks import bounded, stop

#: Loop turns between the inner wait finishing and the cancel: covers every step of
#: the window (inner done, its callbacks scheduled, the waiter woken).
WINDOW_TURNS = range(8)


async def cancel_as_it_finishes(make: Any, turns: int) -> asyncio.Task[Any] | None:
    """Start ``make(event)`` in a task, set the event, cancel ``turns`` loop turns later.

    Returns the task when the cancel reached it before it finished (else ``None``).
    """
    event = asyncio.Event()
    task = asyncio.ensure_future(make(event))
    await asyncio.sleep(0)
    event.set()
    for _ in range(turns):
        await asyncio.sleep(0)
    if not task.cancel():
        return None
    done, _ = await asyncio.wait({task}, timeout=5)
    assert task in done, "the cancelled task did not end"
    return task


async def test_bounded_never_loses_a_cancellation() -> None:
    reached = 0
    for turns in WINDOW_TURNS:
        task = await cancel_as_it_finishes(lambda e: bounded(e.wait(), 10, "the wait"), turns)
        if task is not None:
            reached += 1
            assert task.cancelled(), f"cancel {turns} turns after the wait finished was lost"
    assert reached >= 2  # the window was really hit, not only cancels after the end


async def test_bounded_times_out_and_stops_the_work() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    work = asyncio.ensure_future(forever())
    with pytest.raises(asyncio.TimeoutError, match="the forever wait did not finish"):
        await bounded(work, 0.05, "the forever wait")
    assert started.is_set() and work.cancelled()
    assert await bounded(asyncio.sleep(0, "done"), 5, "a quick wait") == "done"


async def test_stop_ends_every_task_and_lets_the_callers_cancel_through() -> None:
    async def stubborn(release: asyncio.Event) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            await release.wait()  # cleanup that takes a while

    release = asyncio.Event()
    a, b = (asyncio.ensure_future(stubborn(release)) for _ in range(2))
    await asyncio.sleep(0)
    stopper = asyncio.ensure_future(stop(a, b))
    await asyncio.sleep(0.01)
    stopper.cancel()  # the caller is cancelled while the tasks clean up
    await asyncio.wait({stopper}, timeout=5)
    assert stopper.cancelled()
    release.set()
    await asyncio.wait({a, b}, timeout=5)
    assert a.cancelled() and b.cancelled()


async def test_cancelled_subscriber_parked_on_the_long_poll_ends(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(client, handle.id)

    async def follow() -> None:
        async for _ in stream.subscribe():
            pass

    task = asyncio.create_task(follow())
    try:
        for _ in range(300):  # a quiet stream parks on the long-poll after a few seconds
            if stream.poll_stats.long_polls:
                break
            await asyncio.sleep(0.05)
        assert stream.poll_stats.long_polls == 1
        await asyncio.sleep(0.3)  # the update is in flight
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert task in done and task.cancelled()
    finally:
        # A lost cancel leaves the subscription running: ending the workflow ends it.
        await handle.signal(HostWorkflow.finish_now)
        await asyncio.wait({task}, timeout=30)
