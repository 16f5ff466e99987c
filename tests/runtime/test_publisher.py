"""The publisher's edges on a real server: the stream check, a batch kept, force_flush.

Faults are injected for real: a client interceptor on the same connection counts the stream
check's offset queries, refuses them at once, or reports a publish signal failed after it
reached the server; a TCP proxy delays the server's answers as a network would; workers go.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.runtime.helpers import collect, start_host
from tests.runtime.stream_workflows import ALL_WORKFLOWS, Event, HostWorkflow
from wstream import WorkflowStreamClient
from wstream.wire import OFFSET_QUERY, PUBLISH_SIGNAL


class Watch(Interceptor):
    """Counts offset queries; on demand, reports publish signals failed after sending them."""

    def __init__(self) -> None:
        """Inject nothing until told to."""
        #: Offset queries sent (the stream check asks one).
        self.offset_queries = 0
        #: When set, every publish signal reaches the server and then fails with this.
        self.fail_after_sending: RPCError | None = None
        #: Offset queries still to refuse at once, as a client cut off from the server sees.
        self.refuse_offset_queries = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Watching(self, next)

    def client(self, client: Client) -> Client:
        """A client on ``client``'s connection whose calls go through this interceptor."""
        return Client(
            client.service_client,
            namespace=client.namespace,
            data_converter=client.data_converter,
            interceptors=[self],
        )


class LatencyProxy:
    """A TCP proxy on 127.0.0.1 that delivers the server's bytes ``delay`` seconds late.

    As any client some distance from its server sees it: an answer the server sends at its
    deadline reaches the client after the client's own deadline has passed.
    """

    def __init__(self, upstream: str, delay: float) -> None:
        """Forward to ``upstream`` (``host:port``); nothing listens until :meth:`start`."""
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._delay = delay
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        """Listen, and return the ``host:port`` clients connect to."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        self._spawn(self._pump(reader, up_writer, 0.0))
        self._spawn(self._pump(up_reader, writer, self._delay))

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float
    ) -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, chunk = await queue.get()
                await asyncio.sleep(max(0.0, due - loop.time()))
                if not chunk:
                    writer.close()
                    return
                writer.write(chunk)
                await writer.drain()

        self._spawn(deliver())
        try:
            while chunk := await reader.read(65536):
                queue.put_nowait((loop.time() + delay, chunk))
        finally:
            queue.put_nowait((loop.time() + delay, b""))


class _Watching(OutboundInterceptor):
    def __init__(self, watch: Watch, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._watch = watch

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        if input.query == OFFSET_QUERY:
            self._watch.offset_queries += 1
            if self._watch.refuse_offset_queries > 0:
                self._watch.refuse_offset_queries -= 1
                raise RPCError("injected: server away", RPCStatusCode.UNAVAILABLE, b"")
        return await super().query_workflow(input)

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        await super().signal_workflow(input)
        error = self._watch.fail_after_sending
        if error is not None and input.signal == PUBLISH_SIGNAL:
            raise error


async def publish_sequences(handle: WorkflowHandle[Any, Any]) -> list[int]:
    """The sequence of every publish signal the run's history recorded, in order."""
    sequences = []
    for event in (await handle.fetch_history()).events:
        if event.HasField("workflow_execution_signaled_event_attributes"):
            signaled = event.workflow_execution_signaled_event_attributes
            if signaled.signal_name == PUBLISH_SIGNAL:
                sequences.append(int(json.loads(signaled.input.payloads[0].data)["sequence"]))
    return sequences


async def offset_when_answered(client: Client, workflow_id: str, timeout: float = 60) -> int:
    """The stream's end offset, asked again until a worker answers."""

    async def ask() -> int:
        stream = WorkflowStreamClient.create(client, workflow_id)
        while True:
            try:
                return await stream.get_offset()
            except RPCError:
                await asyncio.sleep(0.2)

    return await asyncio.wait_for(ask(), timeout)


async def publish_and_flush(stream: WorkflowStreamClient, numbers: range) -> None:
    events = stream.topic("events", type=Event)
    for n in numbers:
        events.publish(Event(name="p", n=n))
    await asyncio.wait_for(stream.flush(), 60)  # a generous "does not hang" bound


async def host_without_worker(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """A HostWorkflow whose first task was done by a worker that has gone since."""
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        handle = await start_host(client, task_queue)
        assert await offset_when_answered(client, handle.id) == 0
    return handle


async def finish_with_worker(
    client: Client, task_queue: str, handle: WorkflowHandle[Any, Any], count: int
) -> None:
    """Bring a worker back: the workflow applies every batch once, in order."""
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        assert await offset_when_answered(client, handle.id) == count
        stream = WorkflowStreamClient.create(client, handle.id)
        items = await collect(stream.topic("events", type=Event).subscribe(), count)
        assert [i.data.n for i in items] == list(range(count))
        await handle.signal(HostWorkflow.finish_now)
        assert await handle.result() == count


async def test_stream_check_with_no_worker_lets_the_batches_go(
    client: Client, task_queue: str
) -> None:
    handle = await host_without_worker(client, task_queue)
    # Nobody answers the stream check's query: each batch goes out unchecked.
    watch = Watch()
    stream = WorkflowStreamClient.create(watch.client(client), handle.id)
    await publish_and_flush(stream, range(3))
    await publish_and_flush(stream, range(3, 5))
    # Once, or before each batch while the defect shown by the next test lasts.
    assert 1 <= watch.offset_queries <= 2
    assert stream.buffered == 0
    assert await publish_sequences(handle) == [1, 2]
    await finish_with_worker(client, task_queue, handle, 5)


async def test_stream_check_with_no_worker_is_not_asked_again_across_a_network(
    client: Client, task_queue: str
) -> None:
    handle = await host_without_worker(client, task_queue)
    proxy = LatencyProxy(client.service_client.config.target_host, delay=0.1)
    try:
        far = await Client.connect(await proxy.start(), namespace=client.namespace)
        watch = Watch()
        stream = WorkflowStreamClient.create(watch.client(far), handle.id)
        for first in range(0, 9, 3):
            await publish_and_flush(stream, range(first, first + 3))
        assert await publish_sequences(handle) == [1, 2, 3]
        # Silence costs the check's deadline; it is not asked again before every batch.
        assert watch.offset_queries == 1
    finally:
        await proxy.stop()


async def test_stream_check_refused_quickly_asks_again_until_answered(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    watch = Watch()
    # A client cut off from the server is refused at once; the batch then goes out as usual
    # when the server is back (the signal retries), and the check is asked again next time.
    watch.refuse_offset_queries = 2
    stream = WorkflowStreamClient.create(watch.client(client), handle.id)
    await publish_and_flush(stream, range(2))
    assert watch.offset_queries == 1
    await publish_and_flush(stream, range(2, 4))
    assert watch.offset_queries == 2
    await publish_and_flush(stream, range(4, 6))
    assert watch.offset_queries == 3  # answered: the stream is there
    await publish_and_flush(stream, range(6, 8))
    assert watch.offset_queries == 3  # and it is not asked again
    items = await collect(stream.topic("events", type=Event).subscribe(), 8)
    assert [i.data.n for i in items] == list(range(8))
    assert await publish_sequences(handle) == [1, 2, 3, 4]
    await handle.signal(HostWorkflow.finish_now)


async def test_a_non_retryable_failure_keeps_the_batch_pending_with_its_sequence(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    watch = Watch()
    stream = WorkflowStreamClient.create(watch.client(client), handle.id)
    # The signal reaches the workflow, and the caller is told it was refused for good.
    watch.fail_after_sending = RPCError("injected", RPCStatusCode.PERMISSION_DENIED, b"")
    with pytest.raises(RPCError, match="injected") as caught:
        await publish_and_flush(stream, range(3))
    assert caught.value.status == RPCStatusCode.PERMISSION_DENIED
    assert stream.buffered == 3  # not dropped: the next flush sends the batch again
    watch.fail_after_sending = None
    await asyncio.wait_for(stream.flush(), 60)
    assert stream.buffered == 0
    await publish_and_flush(stream, range(3, 5))
    # The second send of batch 1 kept its sequence, so the workflow applied it once.
    items = await collect(stream.topic("events", type=Event).subscribe(), 5)
    assert [i.data.n for i in items] == list(range(5))
    assert await stream.get_offset() == 5
    assert await publish_sequences(handle) == [1, 1, 2]
    await handle.signal(HostWorkflow.finish_now)


async def test_force_flush_outside_async_with_is_sent_when_the_flusher_starts(
    client: Client, worker: Worker, task_queue: str
) -> None:
    handle = await start_host(client, task_queue)
    # A batch interval far beyond the test: only force_flush can make the flusher send.
    stream = WorkflowStreamClient.create(client, handle.id, batch_interval=timedelta(hours=1))
    events = stream.topic("events", type=Event)
    events.publish(Event(name="early", n=0), force_flush=True)
    # With no flusher running nothing sends it yet; it waits in the buffer.
    await asyncio.sleep(0.5)
    assert stream.buffered == 1
    assert await stream.get_offset() == 0
    async with stream:
        # Entering starts the flusher, which honours the force_flush made before.
        items = await collect(events.subscribe(), 1, timeout=30)
        assert stream.buffered == 0
        assert [(i.offset, i.data.name) for i in items] == [(0, "early")]
    # And outside again, flush() sends what force_flush asked for.
    events.publish(Event(name="late", n=1), force_flush=True)
    await asyncio.wait_for(stream.flush(), 30)
    assert await stream.get_offset() == 2
    await handle.signal(HostWorkflow.finish_now)


class SignalCount(Interceptor):
    """Counts publish signals as they are sent."""

    def __init__(self) -> None:
        """None sent yet."""
        self.publishes = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Counting(self, next)


class _Counting(OutboundInterceptor):
    def __init__(self, count: SignalCount, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._count = count

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        if input.signal == PUBLISH_SIGNAL:
            self._count.publishes += 1
        await super().signal_workflow(input)


async def test_a_tight_publish_wait_loop_lets_full_batches_go_while_it_runs(
    client: Client, worker: Worker, task_queue: str
) -> None:
    """A loop of publish_wait with room to spare never waits, yet batches leave during it."""
    handle = await start_host(client, task_queue)
    count = SignalCount()
    counted = Client(
        client.service_client,
        namespace=client.namespace,
        data_converter=client.data_converter,
        interceptors=[count],
    )
    # Batches of 100 items; the buffer (100,000 items by default) never runs out of room
    # within the loop, so the loop itself never has to wait.
    stream = WorkflowStreamClient.create(counted, handle.id, max_batch_size=100)
    events = stream.topic("events", type=Event)
    assert await stream.get_offset() == 0  # the host is up before the loop starts
    published = 0
    async with stream:
        while count.publishes < 3 and published < 90_000:
            await events.publish_wait(Event(name="e", n=published))
            published += 1
        assert count.publishes >= 3, f"no batch left while {published:,} items were published"
    assert await stream.get_offset() == published
    await handle.signal(HostWorkflow.finish_now)
