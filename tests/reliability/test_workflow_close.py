"""A publisher whose workflow closes under it never hangs, and says what was not delivered.

The workflow is terminated, failed or completed before the first batch, in the middle of a
burst and during the final flush of ``async with``; each exit must come back within a few
seconds (a generous bound proving "does not hang", not a timing), leave no wstream task
running, and account for every item: the workflow's log holds exactly the items the client
counts as delivered, and ``buffered`` counts the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Worker

import wstream
from tests.reliability.close_workflows import COMPLETE, FAIL, CloseOnRequest
from tests.runtime.helpers import collect_all
from tests.runtime.stream_workflows import Event
from wstream import StreamNotFoundError, WorkflowStreamClient

T = TypeVar("T")

#: Generous bound on any exit: a hang shows up as a failure with a task dump, not a stall.
EXIT_BOUND_SECONDS = 10.0
CLOSE_KINDS = ("terminate", "fail", "complete")
REPEAT = range(3)
#: Small batches make a burst many signals, so a close lands between two of them.
SMALL_BATCH_BYTES = 4096
_RUNTIME_DIR = os.path.dirname(wstream.__file__) + os.sep


@pytest_asyncio.fixture(scope="module")
async def close_queue(client: Client) -> AsyncIterator[str]:
    """A task queue served by a sandboxed worker hosting :class:`CloseOnRequest`."""
    queue = f"close-{uuid.uuid4().hex[:10]}"
    async with Worker(client, task_queue=queue, workflows=[CloseOnRequest]):
        yield queue


async def start(client: Client, queue: str) -> WorkflowHandle[Any, Any]:
    return await client.start_workflow(
        CloseOnRequest.run, id=f"close-{uuid.uuid4().hex[:10]}", task_queue=queue
    )


async def close(handle: WorkflowHandle[Any, Any], kind: str) -> None:
    """Close the workflow the way ``kind`` says (returns once the server has the request)."""
    if kind == "terminate":
        await handle.terminate("closed by the test")
    else:
        await handle.signal(CloseOnRequest.close, COMPLETE if kind == "complete" else FAIL)


async def closed(handle: WorkflowHandle[Any, Any]) -> None:
    """Wait until the workflow has closed, whichever way."""
    with contextlib.suppress(WorkflowFailureError):
        await handle.result()


def wstream_tasks() -> list[asyncio.Task[Any]]:
    """Unfinished tasks running wstream code (the flusher, say)."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if not task.done() and code is not None and code.co_filename.startswith(_RUNTIME_DIR):
            found.append(task)
    return found


async def within(seconds: float, work: Awaitable[T], what: str) -> T:
    """Return ``work``'s result, failing with a dump of every task if it does not finish."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if not done:
        dump = "\n".join(f"{t.get_name()}: {t.get_stack(limit=3)}" for t in asyncio.all_tasks())
        task.cancel()
        pytest.fail(f"{what} did not finish within {seconds} s; tasks:\n{dump}")
    return task.result()


async def delivered(client: Client, handle: WorkflowHandle[Any, Any]) -> list[int]:
    """The ``n`` of every item in the closed workflow's log, in offset order."""
    reader = WorkflowStreamClient.create(client, handle.id)
    items = await collect_all(reader.subscribe(result_type=Event), timeout=30)
    assert [item.offset for item in items] == list(range(len(items)))
    return [item.data.n for item in items]


def assert_accounted(published: int, stream: WorkflowStreamClient, log: list[int]) -> None:
    """The log holds the first items in order; ``buffered`` counts exactly the others."""
    assert log == list(range(len(log)))
    assert len(log) + stream.buffered == published


@pytest.mark.parametrize("rep", REPEAT[:2])
@pytest.mark.parametrize("kind", CLOSE_KINDS)
async def test_closed_before_the_first_batch(
    client: Client, close_queue: str, kind: str, rep: int
) -> None:
    handle = await start(client, close_queue)
    stream = WorkflowStreamClient.create(client, handle.id, batch_interval=timedelta(seconds=30))
    events = stream.topic("events", type=Event)
    assert await stream.get_offset() == 0  # the stream is up; no batch has been sent

    async def body() -> None:
        async with stream:
            for n in range(50):
                events.publish(Event(name="early", n=n))
            await close(handle, kind)
            await closed(handle)

    with pytest.raises(StreamNotFoundError, match=rf"'{handle.id}'.*50 items") as caught:
        await within(EXIT_BOUND_SECONDS, body(), "async with exit")
    assert caught.value.workflow_gone
    assert stream.buffered == 50 and not wstream_tasks()
    # Known gone: every later call says so at once instead of buffering or sending.
    with pytest.raises(StreamNotFoundError, match="topic 'events'"):
        events.publish(Event(name="late", n=50))
    with pytest.raises(StreamNotFoundError, match="topic 'events'"):
        await within(EXIT_BOUND_SECONDS, events.publish_wait(Event(name="late", n=50)), "wait")
    with pytest.raises(StreamNotFoundError, match="50 items"):
        await within(EXIT_BOUND_SECONDS, stream.flush(), "flush")
    assert await delivered(client, handle) == []


@pytest.mark.parametrize("rep", REPEAT)
@pytest.mark.parametrize("kind", CLOSE_KINDS)
async def test_closed_mid_burst(client: Client, close_queue: str, kind: str, rep: int) -> None:
    handle = await start(client, close_queue)
    stream = WorkflowStreamClient.create(
        client,
        handle.id,
        batch_interval=timedelta(milliseconds=100),
        max_batch_bytes=SMALL_BATCH_BYTES,
    )
    events = stream.topic("events", type=Event)
    published = 0

    async def body() -> None:
        nonlocal published
        async with stream:
            while True:
                events.publish(Event(name="burst", n=published))
                published += 1
                if published % 200 == 0:
                    await asyncio.sleep(0.005)
                if published == 2_000:
                    await close(handle, kind)

    # publish() itself raises once the flusher learned the workflow is gone; before the fix
    # it kept buffering, so this bound is what a regression trips over.
    with pytest.raises(StreamNotFoundError, match=rf"'{handle.id}'") as caught:
        await within(EXIT_BOUND_SECONDS, body(), "the burst and async with exit")
    assert "topic 'events'" in str(caught.value)
    assert not wstream_tasks()
    await closed(handle)
    assert_accounted(published, stream, await delivered(client, handle))


@pytest.mark.parametrize("kind", CLOSE_KINDS)
async def test_closed_while_publish_wait_waits_for_room(
    client: Client, close_queue: str, kind: str
) -> None:
    handle = await start(client, close_queue)
    stream = WorkflowStreamClient.create(
        client, handle.id, max_buffer_items=20, max_batch_bytes=SMALL_BATCH_BYTES
    )
    events = stream.topic("events", type=Event)
    published = 0

    async def body() -> None:
        nonlocal published
        async with stream:
            while True:
                # A full buffer parks publish_wait until the flusher makes room; a workflow
                # that closes meanwhile must wake it with the error, not leave it parked.
                await events.publish_wait(Event(name="wait", n=published))
                published += 1
                if published == 500:
                    await close(handle, kind)

    with pytest.raises(StreamNotFoundError, match="topic 'events'"):
        await within(EXIT_BOUND_SECONDS, body(), "publish_wait and async with exit")
    assert not wstream_tasks()
    await closed(handle)
    assert_accounted(published, stream, await delivered(client, handle))


@pytest.mark.parametrize("rep", REPEAT)
@pytest.mark.parametrize("kind", CLOSE_KINDS)
async def test_closed_during_the_final_flush(
    client: Client, close_queue: str, kind: str, rep: int
) -> None:
    handle = await start(client, close_queue)
    stream = WorkflowStreamClient.create(
        client, handle.id, batch_interval=timedelta(seconds=30), max_batch_bytes=SMALL_BATCH_BYTES
    )
    events = stream.topic("events", type=Event)
    published = 10_000

    async def close_once_flushing() -> None:
        # Some batches of the exit's flush are acknowledged: the close lands mid-flush.
        while stream.buffered > published - 500:
            await asyncio.sleep(0.001)
        await close(handle, kind)

    async def body() -> None:
        closer: asyncio.Task[None] | None = None
        try:
            async with stream:
                # No await in the body: the flusher, woken by full batches, has not run yet
                # when the exit stops it (the window in which 3.11's wait_for lost the cancel).
                for n in range(published):
                    events.publish(Event(name="final", n=n))
                closer = asyncio.create_task(close_once_flushing())
        finally:
            if closer is not None:
                await closer

    with pytest.raises(StreamNotFoundError, match=rf"'{handle.id}'.*not delivered"):
        await within(EXIT_BOUND_SECONDS, body(), "async with exit (final flush)")
    assert not wstream_tasks() and stream.buffered > 0
    await closed(handle)
    assert_accounted(published, stream, await delivered(client, handle))


@pytest.mark.parametrize("pause", [0.0, 0.001, 0.01, 0.05, 0.2])
async def test_cancelled_body_cancels_the_flusher(
    client: Client, close_queue: str, pause: float
) -> None:
    handle = await start(client, close_queue)
    stream = WorkflowStreamClient.create(client, handle.id, max_batch_bytes=SMALL_BATCH_BYTES)
    events = stream.topic("events", type=Event)
    published = 0

    async def body() -> None:
        nonlocal published
        async with stream:
            while True:
                # force_flush wakes the flusher every time: the cancel can arrive at any
                # point of its wait, including just as the wait is finishing.
                events.publish(Event(name="cancel", n=published), force_flush=True)
                published += 1
                await asyncio.sleep(0)

    task = asyncio.create_task(body())
    await asyncio.sleep(pause)
    task.cancel()
    await within(EXIT_BOUND_SECONDS, asyncio.wait({task}), "cancelled async with")
    assert task.cancelled()
    assert not wstream_tasks()
    # Nothing sent on a cancelled exit is lost: the items stay buffered, and a flush sends
    # them exactly once (a batch cut off mid-signal keeps its sequence, so no duplicate).
    await within(EXIT_BOUND_SECONDS, stream.flush(), "flush after cancel")
    assert stream.buffered == 0
    await close(handle, "complete")
    assert await handle.result() == published
    assert await delivered(client, handle) == list(range(published))
