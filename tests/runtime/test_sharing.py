"""Subscriptions through one Temporal client share one poller per workflow and topic filter."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    StartWorkflowUpdateInput,
    WorkflowHandle,
    WorkflowUpdateHandle,
)
from temporalio.common import RawValue
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import Event, HostWorkflow
from wstream import ItemDecodeError, WorkflowStreamClient, WorkflowStreamItem
from wstream.shared_poller import DEFAULT_CAPACITY
from wstream.sharing import shared_pollers
from wstream.wire import POLL_HANDLER


class PollCounter(Interceptor):
    """Counts the poll queries and updates the client sends: the load the workflow sees."""

    def __init__(self) -> None:
        """Start at zero."""
        self.calls: Counter[str] = Counter()

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Counting(self, next)


class _Counting(OutboundInterceptor):
    def __init__(self, counter: PollCounter, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._counter = counter

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        if input.query == POLL_HANDLER:
            self._counter.calls["queries"] += 1
        return await super().query_workflow(input)

    async def start_workflow_update(
        self, input: StartWorkflowUpdateInput
    ) -> WorkflowUpdateHandle[Any]:
        if input.update == POLL_HANDLER:
            self._counter.calls["updates"] += 1
        return await super().start_workflow_update(input)


def counting(client: Client) -> tuple[Client, PollCounter]:
    """A client on the same connection that counts its poll calls."""
    counter = PollCounter()
    return (
        Client(
            client.service_client,
            namespace=client.namespace,
            data_converter=client.data_converter,
            interceptors=[counter],
        ),
        counter,
    )


async def read(
    items: AsyncIterator[WorkflowStreamItem[Event]],
    count: int,
    *,
    pause_after: int | None = None,
    resume: asyncio.Event | None = None,
) -> list[WorkflowStreamItem[Event]]:
    """Read ``count`` items, then close the subscription; optionally pause on the way."""
    got: list[WorkflowStreamItem[Event]] = []
    async with contextlib.aclosing(items) as subscription:  # type: ignore[type-var]
        async for item in subscription:
            got.append(item)
            if len(got) == pause_after and resume is not None:
                await resume.wait()  # a slow consumer: holds its item and reads no further
            if len(got) >= count:
                break
    return got


async def publish(stream: WorkflowStreamClient, numbers: range) -> None:
    """Publish one event per number and wait until the workflow has them all."""
    events = stream.topic("events", type=Event)
    for n in numbers:
        events.publish(Event(name="e", n=n))
    await stream.flush()


def assert_in_order(items: list[WorkflowStreamItem[Event]], numbers: range) -> None:
    """Each number once, in order, at its offset."""
    assert [(i.offset, i.data.n) for i in items] == [(n, n) for n in numbers]


def poller_tasks() -> list[asyncio.Task[Any]]:
    """Shared poller tasks still alive."""
    return [t for t in asyncio.all_tasks() if t.get_name().startswith("wstream-shared-poller")]


async def wait_until_attached(client: Client, subscribers: int) -> None:
    """Wait until one shared poller serves ``subscribers`` subscriptions."""
    while not any(s.subscribers == subscribers for s in shared_pollers(client)):
        await asyncio.sleep(0.01)


async def test_fifty_clients_on_one_client_share_one_poller(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    shared, counter = counting(client)
    streams = [WorkflowStreamClient.create(shared, handle.id) for _ in range(50)]
    readers = [
        asyncio.create_task(read(s.topic("events", type=Event).subscribe(), 300)) for s in streams
    ]
    await asyncio.wait_for(wait_until_attached(shared, 50), 10)
    assert len(shared_pollers(shared)) == 1
    publisher = WorkflowStreamClient.create(client, handle.id)
    for burst in range(3):
        await publish(publisher, range(burst * 100, burst * 100 + 100))
        await asyncio.sleep(0.2)
    results = await asyncio.wait_for(asyncio.gather(*readers), 30)
    for items in results:
        assert_in_order(items, range(300))
    # Every poll the workflow answered was the one shared poller's: each client counts the
    # same queries, and the server saw no more than that.
    assert {s.poll_stats.queries for s in streams} == {counter.calls["queries"]}
    assert counter.calls["updates"] == streams[0].poll_stats.long_polls
    # The last subscriber out stopped the poller and saw its task end.
    assert shared_pollers(shared) == []
    assert poller_tasks() == []
    await handle.signal(HostWorkflow.finish_now)


async def test_a_subscriber_from_an_older_offset_catches_up_then_joins(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    shared, counter = counting(client)
    first = WorkflowStreamClient.create(shared, handle.id)
    following = asyncio.create_task(read(first.topic("events", type=Event).subscribe(), 1200))
    await asyncio.wait_for(wait_until_attached(shared, 1), 10)
    publisher = WorkflowStreamClient.create(client, handle.id)
    # More than the poller holds: offset 0 is gone from its items.
    await publish(publisher, range(DEFAULT_CAPACITY + 100))
    while first.poll_stats.queries == 0 or shared_pollers(shared)[0].low == 0:
        await asyncio.sleep(0.01)
    late = WorkflowStreamClient.create(shared, handle.id)
    shared_before = first.poll_stats.queries
    sent_before = counter.calls["queries"]
    catching_up = asyncio.create_task(read(late.topic("events", type=Event).subscribe(), 1200))
    await publish(publisher, range(DEFAULT_CAPACITY + 100, 1200))
    for items in await asyncio.wait_for(asyncio.gather(following, catching_up), 30):
        assert_in_order(items, range(1200))
    # The late one made queries of its own (its backlog), beyond the shared poller's since it
    # joined (every attached subscriber counts those); there was never a second poller.
    shared_since = first.poll_stats.queries - shared_before
    own = counter.calls["queries"] - sent_before - shared_since
    assert own >= 1
    assert late.poll_stats.queries >= own
    assert shared_pollers(shared) == []
    await handle.signal(HostWorkflow.finish_now)


async def test_a_slow_subscriber_does_not_hold_the_others_back(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    shared, _ = counting(client)
    total = 3 * DEFAULT_CAPACITY
    fast = [WorkflowStreamClient.create(shared, handle.id) for _ in range(2)]
    slow = WorkflowStreamClient.create(shared, handle.id)
    resume = asyncio.Event()
    fast_readers = [
        asyncio.create_task(read(s.topic("events", type=Event).subscribe(), total)) for s in fast
    ]
    slow_reader = asyncio.create_task(
        read(slow.topic("events", type=Event).subscribe(), total, pause_after=10, resume=resume)
    )
    await asyncio.wait_for(wait_until_attached(shared, 3), 10)
    publisher = WorkflowStreamClient.create(client, handle.id)
    await publish(publisher, range(total))
    # The others read everything while the slow one still holds its tenth item.
    for items in await asyncio.wait_for(asyncio.gather(*fast_readers), 30):
        assert_in_order(items, range(total))
    assert not slow_reader.done()
    resume.set()
    assert_in_order(await asyncio.wait_for(slow_reader, 30), range(total))
    # Passed by the poller, it read the rest with queries of its own.
    assert slow.poll_stats.queries > fast[0].poll_stats.queries
    assert shared_pollers(shared) == []
    await handle.signal(HostWorkflow.finish_now)


async def test_cancelling_one_subscriber_leaves_the_others_running(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    shared, _ = counting(client)
    streams = [WorkflowStreamClient.create(shared, handle.id) for _ in range(3)]
    readers = [
        asyncio.create_task(read(s.topic("events", type=Event).subscribe(), 100)) for s in streams
    ]
    await asyncio.wait_for(wait_until_attached(shared, 3), 10)
    publisher = WorkflowStreamClient.create(client, handle.id)
    await publish(publisher, range(50))
    readers[0].cancel()
    await asyncio.wait({readers[0]}, timeout=5)
    assert readers[0].cancelled()
    await asyncio.wait_for(wait_until_attached(shared, 2), 5)
    await publish(publisher, range(50, 100))
    for items in await asyncio.wait_for(asyncio.gather(*readers[1:]), 30):
        assert_in_order(items, range(100))
    assert shared_pollers(shared) == []
    assert poller_tasks() == []
    await handle.signal(HostWorkflow.finish_now)


async def test_subscriptions_end_with_the_workflow_and_other_filters_poll_apart(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle: WorkflowHandle[Any, Any] = await start_host(client, task_queue)
    shared, _ = counting(client)
    streams = [WorkflowStreamClient.create(shared, handle.id) for _ in range(4)]
    everything = asyncio.create_task(read(streams[0].subscribe(result_type=Event), 10**6))
    events = asyncio.create_task(read(streams[1].topic("events", type=Event).subscribe(), 10**6))
    # The same filter as `events`, each decoding to its own type: raw payloads, and a type
    # the items do not fit (that one fails alone).
    raw = asyncio.create_task(
        read(streams[2].subscribe("events", result_type=RawValue), 10**6)  # type: ignore[arg-type]
    )
    wrong = asyncio.create_task(read(streams[3].subscribe("events", result_type=int), 10**6))  # type: ignore[arg-type]
    while sorted(s.subscribers for s in shared_pollers(shared)) != [1, 3]:
        await asyncio.sleep(0.01)  # one poller per topic filter
    await publish(WorkflowStreamClient.create(client, handle.id), range(20))
    await handle.signal(HostWorkflow.finish_now)
    for items in await asyncio.wait_for(asyncio.gather(everything, events), 30):
        assert_in_order(items, range(20))
    raw_items: list[Any] = await asyncio.wait_for(raw, 30)
    assert [i.offset for i in raw_items] == list(range(20))
    assert all(isinstance(i.data, RawValue) for i in raw_items)
    await asyncio.wait({wrong}, timeout=30)
    assert isinstance(wrong.exception(), ItemDecodeError)
    assert shared_pollers(shared) == []
    assert poller_tasks() == []
