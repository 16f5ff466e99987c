"""wstream.sse sharing: connections at the live tail of one workflow share one subscription."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from temporalio.client import Client, Interceptor, OutboundInterceptor, QueryWorkflowInput
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.runtime.helpers import FIGURES, start_host, with_interceptor
from tests.runtime.sse.support import FrameReader, serve
from tests.runtime.stream_workflows import HostWorkflow
from wstream import WorkflowStreamClient, WorkflowStreamItem
from wstream.sse import FeedRegistry, FeedStatus, feed_registry, sse_app, stream_events
from wstream.sse.connection import SharedConnection
from wstream.sse.feed import Feed, FeedStopped
from wstream.sse.frames import KEEP_ALIVE_FRAME
from wstream.wire import OFFSET_QUERY

QUICK = timedelta(milliseconds=20)
#: How long a response may take to end after the workflow did. A poll query that reaches the
#: worker just as the run completes can go unanswered until the server's 30 s query deadline
#: (the subscription then retries), so the bound stays above that.
END_WAIT = 60.0
TOPICS = "abc"


def topic_of(offset: int) -> str:
    """Items cycle through the topics a, b, c, so a filter's offsets have gaps."""
    return TOPICS[offset % len(TOPICS)]


def frames_of(offsets: Iterable[int]) -> str:
    """The exact text of the item frames at ``offsets`` (the value published is {"n": offset})."""
    return "".join(f'id: {i}\nevent: {topic_of(i)}\ndata: {{"n":{i}}}\n\n' for i in offsets)


def data_frames(text: str) -> str:
    """A response's text without keep-alive comments: a connection left quiet while the
    workflow closes (up to the server's 30 s query deadline) may rightly get one."""
    return text.replace(KEEP_ALIVE_FRAME, "")


def end_frame(end_offset: int) -> str:
    return f'event: wstream-end\ndata: {{"end_offset":{end_offset}}}\n\n'


async def publish(client: Client, workflow_id: str, offsets: range) -> None:
    """Publish {"n": i} for every offset i (the stream must be at ``offsets.start``)."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    for i in offsets:
        stream.topic(topic_of(i)).publish({"n": i})
    await stream.flush()


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait until ``check()`` holds (fails on timeout)."""

    async def wait() -> None:
        while not check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(wait(), timeout)


def feeds_by_topics(registry: FeedRegistry) -> dict[tuple[str, ...], FeedStatus]:
    return {status.topics: status for status in registry.feeds()}


def last_id(reader: FrameReader) -> int:
    ids = [int(frame["id"]) for frame in reader.frames if "id" in frame]
    return ids[-1] if ids else -1


async def reach(reader: FrameReader, offset: int) -> None:
    """Read until the reader's last item is the one at ``offset``."""
    await reader.until(lambda _: last_id(reader) == offset)


@contextlib.asynccontextmanager
async def open_streams(
    http: httpx.AsyncClient, paths: list[str], headers: dict[str, str] | None = None
) -> AsyncIterator[list[FrameReader]]:
    async with contextlib.AsyncExitStack() as stack:
        readers = []
        for path in paths:
            response = await stack.enter_async_context(http.stream("GET", path, headers=headers))
            assert response.status_code == 200
            readers.append(FrameReader(response))
        yield readers


async def test_twenty_connections_share_one_feed_until_the_workflow_ends(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, retry=None, poll_cooldown=QUICK)
    registry = feed_registry(app)
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        open_streams(http, [f"/{handle.id}"] * 20) as readers,
    ):
        await until(lambda: [s.connections for s in registry.feeds()] == [20])
        await publish(client, handle.id, range(100))
        await asyncio.gather(*(reach(reader, 99) for reader in readers))
        (feed,) = registry.feeds()
        assert (feed.workflow_id, feed.topics, feed.connections, feed.catching_up) == (
            handle.id,
            (),
            20,
            0,
        )
        assert feed.buffered == 100
        await handle.signal(HostWorkflow.finish_now)
        texts = await asyncio.gather(*(reader.to_end(END_WAIT) for reader in readers))
    for text in texts:
        assert data_frames(text) == frames_of(range(100)) + end_frame(100)
    # One subscription served all twenty: no connection read on its own.
    assert registry.stats.feeds_started == 1
    assert registry.stats.catch_ups == 0
    assert registry.stats.own_subscriptions == 0
    assert registry.feeds() == []  # the workflow ended, so the feed is gone
    FIGURES.append(
        f"sse sharing: 20 connections x 100 items served by 1 feed making {feed.queries} "
        f"queries and {feed.long_polls} long-polls"
    )


async def test_old_last_event_id_catches_up_then_switches_to_the_feed(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, retry=None, poll_cooldown=QUICK, shared_buffer_items=10)
    registry = feed_registry(app)
    a_offsets = [i for i in range(108) if topic_of(i) == "a"]
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        open_streams(http, [f"/{handle.id}", f"/{handle.id}?topic=a"]) as early,
    ):
        await until(lambda: len(registry.feeds()) == 2)
        await publish(client, handle.id, range(100))
        await asyncio.gather(*(reach(reader, 99) for reader in early))
        feeds = feeds_by_topics(registry)
        # The buffers moved on: 10 items each, so the feed of topic a (every third offset)
        # reaches further back than the feed of all topics.
        assert (feeds[()].low, feeds[("a",)].low) == (90, 70)
        # The burst of 100 outran the buffers before the early connections read it, so they
        # caught up on their own too; count only what the late connections do.
        before = registry.stats.catch_ups
        async with (
            open_streams(http, [f"/{handle.id}"], {"Last-Event-ID": "4"}) as (late,),
            open_streams(http, [f"/{handle.id}?topic=a"], {"Last-Event-ID": "3"}) as (late_a,),
        ):
            await reach(late, 99)
            await reach(late_a, 99)
            # Both read their backlog with their own queries and are now on the feeds.
            await until(lambda: [s.catching_up for s in registry.feeds()] == [0, 0])
            assert sorted(s.connections for s in registry.feeds()) == [2, 2]
            assert registry.stats.catch_ups == before + 2
            # Fewer than the buffer holds, so every connection reads them from its feed.
            await publish(client, handle.id, range(100, 108))
            for reader, last in ((early[0], 107), (late, 107), (early[1], 105), (late_a, 105)):
                await reach(reader, last)
            assert registry.stats.catch_ups == before + 2  # the new items came from the feeds
            # Exact offsets across the switch: no gap, no duplicate.
            assert late.text == frames_of(range(5, 108))
            assert late_a.text == frames_of(i for i in a_offsets if i >= 4)
        assert early[0].text == frames_of(range(108))
        assert early[1].text == frames_of(a_offsets)
    await handle.signal(HostWorkflow.finish_now)


async def test_a_connection_that_falls_behind_the_buffer_reads_on_its_own_and_returns(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    registry = FeedRegistry(client, capacity=5, poll_cooldown=QUICK)
    connection = SharedConnection(
        registry, client, handle.id, ["a", "c"], from_offset=0, start_offset=0, poll_cooldown=0.02
    )
    items = connection.items()
    got: list[WorkflowStreamItem[Any]] = []
    try:
        await publish(client, handle.id, range(3))
        got.append(await anext(items))  # offset 0, read from the feed's buffer
        # This slow reader waits while 60 more items pass through a buffer of 5.
        await publish(client, handle.id, range(3, 63))
        await until(lambda: registry.feeds()[0].low > 50)
        while len(got) < 42:  # the items of topics a and c among offsets 0..62
            got.append(await asyncio.wait_for(anext(items), 20))
        assert registry.stats.catch_ups == 1
        (feed,) = registry.feeds()
        assert (feed.connections, feed.catching_up) == (1, 0)  # back on the feed
        await publish(client, handle.id, range(63, 66))
        got.append(await asyncio.wait_for(anext(items), 20))
        got.append(await asyncio.wait_for(anext(items), 20))
    finally:
        await items.aclose()  # type: ignore[attr-defined]
    assert [item.offset for item in got] == [i for i in range(66) if topic_of(i) != "b"]
    assert all(item.data == {"n": item.offset} for item in got)
    assert registry.feeds() == []
    await handle.signal(HostWorkflow.finish_now)


async def test_two_topic_filters_make_two_feeds_each_with_exactly_its_topics(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, retry=None, poll_cooldown=QUICK)
    registry = feed_registry(app)
    paths = [
        f"/{handle.id}?topic=a",
        f"/{handle.id}?topic=a",
        f"/{handle.id}?topic=b&topic=c",
        f"/{handle.id}?topic=c&topic=b&topic=c",  # the same filter, written differently
    ]
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        open_streams(http, paths) as readers,
    ):
        await until(lambda: sum(s.connections for s in registry.feeds()) == 4)
        assert {t: s.connections for t, s in feeds_by_topics(registry).items()} == {
            ("a",): 2,
            ("b", "c"): 2,
        }
        await publish(client, handle.id, range(30))
        await handle.signal(HostWorkflow.finish_now)
        texts = await asyncio.gather(*(reader.to_end(END_WAIT) for reader in readers))
    only_a = frames_of(i for i in range(30) if topic_of(i) == "a")
    b_and_c = frames_of(i for i in range(30) if topic_of(i) != "a")
    assert [data_frames(text) for text in texts] == [only_a + end_frame(30)] * 2 + [
        b_and_c + end_frame(30)
    ] * 2
    assert registry.stats.feeds_started == 2
    assert registry.feeds() == []


async def test_last_connection_leaving_stops_the_feed(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, retry=None, poll_cooldown=QUICK)
    registry = feed_registry(app)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        async with open_streams(http, [f"/{handle.id}"] * 2) as (first, second):
            await until(lambda: [s.connections for s in registry.feeds()] == [2])
            await publish(client, handle.id, range(2))
            await reach(first, 1)
            await reach(second, 1)
        await until(lambda: registry.feeds() == [])
    # The feed object itself stops reading once nobody is left.
    direct = FeedRegistry(client, capacity=10, poll_cooldown=QUICK)
    feed: Feed = direct.join(handle.id, [], start_offset=2)
    direct.leave(feed)
    assert direct.feeds() == []
    await until(lambda: feed.finished)
    assert isinstance(feed.error, FeedStopped)
    await handle.signal(HostWorkflow.finish_now)


async def test_sharing_off_keeps_one_subscription_per_connection(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, retry=None, poll_cooldown=QUICK, share_subscriptions=False)
    registry = feed_registry(app)
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        open_streams(http, [f"/{handle.id}"] * 3) as readers,
    ):
        await until(lambda: registry.stats.own_subscriptions == 3)
        await publish(client, handle.id, range(10))
        await handle.signal(HostWorkflow.finish_now)
        texts = await asyncio.gather(*(reader.to_end(END_WAIT) for reader in readers))
        assert registry.feeds() == []
    assert [data_frames(text) for text in texts] == [frames_of(range(10)) + end_frame(10)] * 3
    assert registry.stats.feeds_started == 0


def test_sharing_options_are_checked(client: Client) -> None:
    with pytest.raises(TypeError, match="share_subscriptions must be True or False, got 'yes'"):
        sse_app(client, share_subscriptions="yes")  # type: ignore[arg-type]
    for bad in (0, -5, True, 2.5):
        with pytest.raises(ValueError, match=r"shared_buffer_items must be an integer of at le"):
            stream_events(client, shared_buffer_items=bad)  # type: ignore[arg-type]
    assert isinstance(feed_registry(stream_events(client)), FeedRegistry)
    with pytest.raises(TypeError, match=r"feed_registry\(\) needs an app from wstream"):
        feed_registry(Starlette())


class FailingEndOffset(Interceptor):
    """Once armed, fails the next offset query at once, as a busy or lost query would."""

    def __init__(self) -> None:
        self.armed = False
        self.failed = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _FailingEndOffset(self, next)


class _FailingEndOffset(OutboundInterceptor):
    def __init__(self, failing: FailingEndOffset, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._failing = failing

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        if input.query == OFFSET_QUERY and self._failing.armed:
            self._failing.armed = False
            self._failing.failed += 1
            raise RPCError("query failed", RPCStatusCode.INVALID_ARGUMENT, b"")
        return await super().query_workflow(input)


async def test_a_feed_asks_again_for_the_end_offset_when_the_query_fails_at_once(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    failing = FailingEndOffset()
    app = sse_app(with_interceptor(client, failing), retry=None, poll_cooldown=QUICK)
    registry = feed_registry(app)
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        open_streams(http, [f"/{handle.id}?topic=a"]) as readers,
    ):
        await until(lambda: sum(s.connections for s in registry.feeds()) == 1)
        await publish(client, handle.id, range(30))
        failing.armed = True
        await handle.signal(HostWorkflow.finish_now)
        texts = await asyncio.gather(*(reader.to_end(END_WAIT) for reader in readers))
    assert failing.failed == 1
    # Item 29 is not on topic "a": the end frame carries the stream's end, not a fallback.
    assert topic_of(29) != "a"
    assert data_frames(texts[0]) == frames_of(i for i in range(30) if topic_of(i) == "a") + (
        end_frame(30)
    )
