"""Outages of the Temporal server itself: a crash and restart, and one past the buffer bound."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.service import RetryConfig
from temporalio.worker import Worker

from tests.reliability.faults import FailureCount, OwnDevServer
from tests.reliability.tally import Reader, Tally, publish_paced, subscriber, until
from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import ALL_WORKFLOWS, Event
from wstream import BufferFullError, WorkflowStreamClient, limits

#: How long each test keeps its server down.
OUTAGE_SECONDS = 2.5
#: The Temporal client's own retries cut short (its default rides out about ten seconds), so
#: the outage reaches wstream's retry loops instead of being hidden underneath them.
IMPATIENT = RetryConfig(
    initial_interval_millis=50, max_interval_millis=100, max_elapsed_time_millis=200, max_retries=1
)


@pytest_asyncio.fixture
async def own_server(tmp_path: Path) -> AsyncIterator[OwnDevServer]:
    """A dev server of this test's own, on a database file, killed when the test ends."""
    server = OwnDevServer(tmp_path)
    await server.start()
    try:
        yield server
    finally:
        server.kill()


async def clients(server: OwnDevServer) -> tuple[Client, Client, FailureCount]:
    """A client with the Temporal client's default retries, and an impatient one that counts."""
    failures = FailureCount()
    patient = await server.connect()
    impatient = await server.connect(retry_config=IMPATIENT, interceptors=[failures])
    return patient, impatient, failures


async def test_server_killed_and_restarted_mid_stream(
    own_server: OwnDevServer, task_queue: str
) -> None:
    client, impatient, failures = await clients(own_server)
    # The worker shares the server with everyone else, so it loses its polls in the outage too.
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        handle = await start_host(client, task_queue)
        # One publisher and one subscriber on each client: s0/p0 as users run them, s1/p1
        # with the outage surfacing in wstream's own retries.
        readers = [subscriber(c, handle.id, f"s{k}") for k, c in enumerate([client, impatient])]
        tally = Tally("3 server restart")
        publishers = [
            WorkflowStreamClient.create(
                c, handle.id, batch_interval=timedelta(milliseconds=50), max_batch_size=20
            )
            for c in [client, impatient]
        ]

        async def publish(tag: str, stream: WorkflowStreamClient) -> None:
            async with stream:
                tally.record_published(tag, await publish_paced(stream, tag, 1500, pause=0.03))

        publishing = asyncio.gather(*(publish(f"p{k}", s) for k, s in enumerate(publishers)))
        # Kill the server once every publisher and subscriber is well under way, or at the
        # latest two thirds into publishing when the subscribers lag (a loaded machine).
        settled = [p._publisher for p in publishers]
        await until(
            lambda: (
                (
                    all(p.settled_total >= 300 for p in settled)
                    and all(len(r.items) >= 300 for r in readers)
                )
                or any(p.settled_total >= 1000 for p in settled)
            ),
            60,
        )
        own_server.kill()
        killed_at = time.monotonic()
        at_kill = len(readers[0].items)
        await asyncio.sleep(OUTAGE_SECONDS)
        done_while_down = publishing.done()
        at_restart = len(readers[0].items)
        await own_server.start()
        outage = time.monotonic() - killed_at
        # Nothing can have finished while the server was away: every client had work left.
        assert not done_while_down

        await asyncio.wait_for(publishing, 120)
        end = await publishers[0].get_offset()
        for reader in readers:
            await reader.wait_for_offset(min(end, tally.total_published), 60)
            await reader.stop()
        retries = [p._publisher.retries for p in publishers]
        tally.check(
            readers,
            f"server down {outage:.1f} s (SIGKILL, restarted on the same db) after "
            f"{at_kill} items were read, {at_restart - at_kill} read while down; publish "
            f"retries {retries[0]} (default client) / {retries[1]} (impatient client: "
            f"{failures.signals} signals and {failures.queries} poll queries failed)",
        )
        assert end == tally.total_published == 3000
        assert at_kill < 3000
        # The impatient client really met the outage, and wstream's retries carried it.
        assert failures.signals > 0 and failures.queries > 0
        assert retries[1] >= failures.signals
        await handle.terminate()


async def test_subscribers_parked_at_the_tail_ride_out_a_restart(
    own_server: OwnDevServer, task_queue: str
) -> None:
    client, impatient, failures = await clients(own_server)
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        handle = await start_host(client, task_queue)
        streams = [WorkflowStreamClient.create(c, handle.id) for c in [client, impatient]]
        readers = [
            Reader(f"s{k}", s.topic("events", type=Event).subscribe())
            for k, s in enumerate(streams)
        ]
        tally = Tally("3b server restart under idle subscribers")
        publisher = WorkflowStreamClient.create(client, handle.id)
        events = publisher.topic("events", type=Event)

        async def publish(numbers: range) -> None:
            for n in numbers:
                events.publish(Event(name="p", n=n))
            await publisher.flush()
            tally.record_published("p", numbers)

        await publish(range(50))
        # A quiet stream: every subscriber ends up parked on the poll update at the tail.
        await until(lambda: all(s.poll_stats.long_polls > 0 for s in streams), 30)
        own_server.kill()
        killed_at = time.monotonic()
        # Asked while the server is away, on the client whose own retries give up at once.
        offset_asked = asyncio.create_task(streams[1].get_offset())
        await asyncio.sleep(OUTAGE_SECONDS)
        assert not offset_asked.done()
        await own_server.start()
        outage = time.monotonic() - killed_at
        assert await asyncio.wait_for(offset_asked, 30) == 50
        await publish(range(50, 100))
        for reader in readers:
            await reader.wait_for_offset(100, 60)
            await reader.stop()
        tally.check(
            readers,
            f"server down {outage:.1f} s while both subscribers waited on the long-poll; "
            f"{failures.queries} poll queries failed on the impatient client",
        )
        await handle.terminate()


class BoundWatch:
    """Tries ``publish()`` on one client while the server is down and keeps the figures."""

    def __init__(self, tag: str, stream: WorkflowStreamClient) -> None:
        """Watch ``stream``, publishing ``Event(name=tag, n=...)``."""
        self.tag = tag
        self.stream = stream
        self.events = stream.topic("events", type=Event)
        self.next_n = 0
        self.accepted: list[int] = []
        self.refused = 0
        self.first_error: BufferFullError | None = None
        self.peak_items = 0
        self.peak_bytes = 0

    def sample(self) -> None:
        """Note the buffer's size now."""
        self.peak_items = max(self.peak_items, self.stream.buffered)
        self.peak_bytes = max(self.peak_bytes, self.stream.buffered_bytes)

    def try_publish(self, attempts: int) -> None:
        """Call ``publish()`` ``attempts`` times, counting what was accepted and refused."""
        for _ in range(attempts):
            n, self.next_n = self.next_n, self.next_n + 1
            try:
                self.events.publish(Event(name=self.tag, n=n))
            except BufferFullError as error:
                self.refused += 1
                self.first_error = self.first_error or error
            else:
                self.accepted.append(n)
            self.sample()

    def wait_for_room(self) -> asyncio.Task[None]:
        """Start a ``publish_wait()`` of the next item; it may only finish once there is room."""
        n, self.next_n = self.next_n, self.next_n + 1
        self.accepted.append(n)  # it must be delivered once it returns
        return asyncio.create_task(self.events.publish_wait(Event(name=self.tag, n=n)))


async def test_server_down_longer_than_the_buffer_bound(
    own_server: OwnDevServer, task_queue: str
) -> None:
    client, impatient, failures = await clients(own_server)
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS):
        handle = await start_host(client, task_queue)
        readers = [subscriber(c, handle.id, f"s{k}") for k, c in enumerate([client, impatient])]
        tally = Tally("5 server down past the buffer bound")

        def bounded(on: Client, max_items: int, max_bytes: int) -> WorkflowStreamClient:
            return WorkflowStreamClient.create(
                on,
                handle.id,
                batch_interval=timedelta(milliseconds=50),
                max_batch_size=20,
                max_batch_bytes=4096,
                max_buffer_items=max_items,
                max_buffer_bytes=max_bytes,
            )

        # One client bound by items, the other by bytes (the other bound left at its default).
        by_items = BoundWatch("items", bounded(impatient, 200, limits.DEFAULT_MAX_BUFFER_BYTES))
        by_bytes = BoundWatch("bytes", bounded(client, limits.DEFAULT_MAX_BUFFER_ITEMS, 16_384))
        watches = [by_items, by_bytes]
        async with by_items.stream, by_bytes.stream:
            for watch in watches:
                watch.try_publish(100)
                await watch.stream.flush()
            own_server.kill()
            killed_at = time.monotonic()
            # Keep publishing through the outage: each client takes items up to its bound
            # (plus the one batch in flight) and refuses the rest.
            while time.monotonic() - killed_at < OUTAGE_SECONDS * 0.6:
                for watch in watches:
                    watch.try_publish(50)
                await asyncio.sleep(0.02)
            waiting = [watch.wait_for_room() for watch in watches]
            while time.monotonic() - killed_at < OUTAGE_SECONDS:
                await asyncio.sleep(0.05)
                for watch in watches:
                    watch.sample()
            pending_while_down = [not task.done() for task in waiting]
            await own_server.start()
            outage = time.monotonic() - killed_at
            await asyncio.wait_for(asyncio.gather(*waiting), 60)
            await asyncio.wait_for(asyncio.gather(*(w.stream.flush() for w in watches)), 60)
            drained = [(w.stream.buffered, w.stream.buffered_bytes) for w in watches]
            for watch in watches:
                watch.try_publish(100)
            await asyncio.wait_for(asyncio.gather(*(w.stream.flush() for w in watches)), 60)

        for watch in watches:
            tally.record_published(watch.tag, watch.accepted)
        # Asked on the default client: a lone query has no retry but the Temporal client's.
        end = await by_bytes.stream.get_offset()
        for reader in readers:
            await reader.wait_for_offset(min(end, tally.total_published), 60)
            await reader.stop()
        tally.check(
            readers,
            f"server down {outage:.1f} s; BufferFullError raised {by_items.refused} times "
            f"(item bound 200) and {by_bytes.refused} times (byte bound 16,384); buffer peak "
            f"{by_items.peak_items} items and {by_bytes.peak_bytes:,} bytes; publish_wait "
            f"still waiting at the restart: {sum(pending_while_down)} of 2; "
            f"{failures.signals} signals and {failures.queries} poll queries failed on the "
            "impatient client",
        )
        assert end == tally.total_published

        assert pending_while_down == [True, True]
        assert drained == [(0, 0), (0, 0)]
        for watch in watches:
            assert watch.refused > 0, watch.tag
            # Once drained, a buffer takes a burst again: nothing refused after the restart.
            assert watch.accepted[-100:] == list(range(watch.next_n - 100, watch.next_n))
        error = by_items.first_error
        assert error is not None
        assert "topic 'events'" in str(error) and "max_buffer_items=200" in str(error)
        assert "publish_wait" in str(error)
        assert by_bytes.first_error is not None
        assert "max_buffer_bytes=16,384" in str(by_bytes.first_error)
        # Memory stays at the bound: the buffer itself, plus at most the one batch in flight.
        assert 200 <= by_items.peak_items <= 200 + 20
        assert 16_384 - 200 <= by_bytes.peak_bytes <= 16_384 + 4096
        assert by_bytes.peak_items < 200
        assert failures.signals > 0 and failures.queries > 0
        await handle.terminate()
