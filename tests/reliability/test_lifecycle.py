"""Stream lifecycle faults on a real server: continue-as-new, retry deadline, truncation, TTL."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.reliability.faults import PublishFaults, faulty_client
from tests.reliability.lifecycle_workflows import (
    LoadHostInput,
    LoadHostWorkflow,
    TtlHostInput,
    TtlHostWorkflow,
)
from tests.reliability.tally import Reader, Tally, check_exact, publish_paced, subscriber
from tests.runtime.helpers import collect, start_host
from tests.runtime.stream_workflows import Event, HostWorkflow
from wstream import WorkflowStreamClient
from wstream.wire import POLL_HANDLER, PUBLISH_SIGNAL, PollInput, encode_payload


async def send(stream: WorkflowStreamClient, tag: str, numbers: Iterable[int]) -> list[int]:
    """Publish ``Event(name=tag, n=...)`` for each number and flush; return the numbers."""
    events = stream.topic("events", type=Event)
    sent = list(numbers)
    for n in sent:
        events.publish(Event(name=tag, n=n))
    await stream.flush()
    return sent


async def run_starts(client: Client, workflow_id: str, first_run_id: str) -> list[int]:
    """The end offset each run of a continue-as-new chain started at, read from the histories.

    A run's input carries the stream state it took over: its base offset plus its log.
    """
    starts: list[int] = []
    run_id = first_run_id
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        state = json.loads(started.input.payloads[0].data).get("stream_state") or {}
        starts.append(int(state.get("base_offset", 0)) + len(state.get("log", [])))
        last = history.events[-1]
        if not last.HasField("workflow_execution_continued_as_new_event_attributes"):
            return starts
        run_id = last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id


async def base_offset(handle: WorkflowHandle[Any, Any]) -> int:
    """The stream's first retained offset, from the poll query's ``base_offset``."""
    request = PollInput(topics=["no-such-topic"], from_offset=0)
    raw = await handle.query(POLL_HANDLER, request, result_type=RawValue)
    return int(json.loads(raw.payload.data)["base_offset"])


async def test_continue_as_new_under_load(client: Client, task_queue: str) -> None:
    async with Worker(client, task_queue=task_queue, workflows=[LoadHostWorkflow]):
        # The workflow decides: it continues as new whenever its end offset passes a
        # multiple of 500, while three publishers and three subscribers keep going.
        handle = await client.start_workflow(
            LoadHostWorkflow.run,
            LoadHostInput(every=500),
            id=f"load-{uuid.uuid4().hex[:10]}",
            task_queue=task_queue,
        )
        assert handle.result_run_id is not None
        readers = [subscriber(client, handle.id, f"s{k}") for k in range(3)]
        tally = Tally("4 continue-as-new under load")
        publishers = [
            WorkflowStreamClient.create(
                client, handle.id, batch_interval=timedelta(milliseconds=50), max_batch_size=20
            )
            for _ in range(3)
        ]

        async def publish(tag: str, stream: WorkflowStreamClient) -> None:
            async with stream:
                # About 100 items/s each: the server holds back the first task of a run that
                # follows one shorter than a second (its continue-as-new minimum interval),
                # so a faster stream packs more than 500 items into each run.
                numbers = await publish_paced(stream, tag, 1000, pause=0.2)
                tally.record_published(tag, numbers)

        await asyncio.wait_for(
            asyncio.gather(*(publish(f"p{k}", s) for k, s in enumerate(publishers))), 60
        )
        end = await publishers[0].get_offset()
        assert end == tally.total_published == 3000
        for reader in readers:
            await reader.wait_for_offset(end, 30)
            await reader.stop()
        latest = client.get_workflow_handle(handle.id)
        starts = await run_starts(client, handle.id, handle.result_run_id)
        tally.check(
            readers,
            f"{len(starts)} runs, starting at offsets {'/'.join(map(str, starts))}",
        )
        # Every subscriber saw the same sequence, offsets 0..2999 with no gap.
        sequences = [[(i.offset, i.data.name, i.data.n) for i in r.items] for r in readers]
        assert sequences[0] == sequences[1] == sequences[2]
        assert [offset for offset, _, _ in sequences[0]] == list(range(3000))
        # A run continues as new once it has passed the next multiple of 500; items that
        # arrive while it hands over land in it, so a run may hold somewhat more than 500.
        assert len(starts) >= 4, starts
        for previous, start in itertools.pairwise(starts):
            assert start >= (previous // 500 + 1) * 500, starts
        assert await latest.query(LoadHostWorkflow.current_run_number) == len(starts)
        await latest.terminate()


async def test_retry_deadline_drops_only_the_late_batch(
    client: Client, worker: Worker, task_queue: str
) -> None:
    faults = PublishFaults()
    handle = await start_host(client, task_queue)
    readers = [subscriber(client, handle.id, f"s{k}") for k in range(2)]
    tally = Tally("6 retry deadline")
    # No background flusher: each flush sends exactly what was published before it.
    flaky = WorkflowStreamClient.create(
        faulty_client(client, faults),
        handle.id,
        max_batch_size=50,
        max_retry_duration=timedelta(seconds=1.5),
    )
    steady = WorkflowStreamClient.create(
        client, handle.id, batch_interval=timedelta(milliseconds=50), max_batch_size=20
    )

    async def publish_steadily() -> None:
        async with steady:
            tally.record_published("steady", await publish_paced(steady, "steady", 600, pause=0.02))

    steady_task = asyncio.create_task(publish_steadily())
    dropped: list[int] = []
    timeouts = 0
    next_n = 0
    for _ in range(3):
        tally.record_published("flaky", await send(flaky, "flaky", range(next_n, next_n + 120)))
        next_n += 120
        faults.fail_before = True
        with pytest.raises(TimeoutError, match=r"within max_retry_duration=1.5s; it was dropped"):
            await send(flaky, "flaky", range(next_n, next_n + 30))
        faults.fail_before = False
        timeouts += 1
        dropped.extend(range(next_n, next_n + 30))
        next_n += 30
        assert flaky.buffered == 0  # dropped, not left pending for the next flush
    # The batches after the last drop take fresh sequences and must not be deduplicated away.
    tally.record_published("flaky", await send(flaky, "flaky", range(next_n, next_n + 120)))
    await asyncio.wait_for(steady_task, 60)

    end = await flaky.get_offset()
    assert end == tally.total_published == 4 * 120 + 600
    for reader in readers:
        await reader.wait_for_offset(end, 30)
        await reader.stop()
    tally.check(
        readers,
        f"{len(dropped)} items in {timeouts} batches dropped on purpose after "
        f"max_retry_duration=1.5s ({faults.refused} signals refused), absent everywhere",
    )
    for reader in readers:
        got = {item.data.n for item in reader.items if item.data.name == "flaky"}
        assert got.isdisjoint(dropped), sorted(got & set(dropped))
    assert faults.refused >= timeouts
    await handle.terminate()


async def publish_sequences(handle: WorkflowHandle[Any, Any], publisher_id: str) -> list[int]:
    """The sequence of every publish signal of ``publisher_id`` the run's history recorded."""
    history = await handle.fetch_history()
    sequences = []
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        signaled = event.workflow_execution_signaled_event_attributes
        if signaled.signal_name == PUBLISH_SIGNAL:
            body = json.loads(signaled.input.payloads[0].data)
            if body["publisher_id"] == publisher_id:
                sequences.append(int(body["sequence"]))
    return sequences


async def test_a_batch_delivered_but_reported_failed_until_the_deadline_is_not_reused(
    client: Client, worker: Worker, task_queue: str
) -> None:
    faults = PublishFaults()
    handle = await start_host(client, task_queue)
    reader = subscriber(client, handle.id, "s0")
    tally = Tally("6b delivered, reported failed until the retry deadline")
    flaky = WorkflowStreamClient.create(
        faulty_client(client, faults),
        handle.id,
        max_batch_size=50,
        max_retry_duration=timedelta(seconds=1.5),
    )
    tally.record_published("flaky", await send(flaky, "flaky", range(50)))
    # Batch 2 reaches the workflow on every attempt, and every attempt is reported failed
    # (the answer lost on the way back) until the retry deadline gives up on it.
    faults.fail_after_rate = 1.0
    with pytest.raises(TimeoutError, match=r"within max_retry_duration=1.5s; it was dropped"):
        await send(flaky, "flaky", range(50, 80))
    faults.fail_after_rate = 0.0
    attempts = faults.delivered_but_failed
    assert attempts >= 2
    # It was applied once all the same: the client cannot know, the workflow's dedup does.
    tally.record_published("flaky", range(50, 80))
    # The next batch must not take the sequence the workflow has already accepted.
    tally.record_published("flaky", await send(flaky, "flaky", range(80, 130)))

    end = await flaky.get_offset()
    assert end == tally.total_published == 130
    await reader.wait_for_offset(end, 30)
    await reader.stop()
    # Every signal is applied by now, so the history holds them all.
    sequences = await publish_sequences(handle, flaky.publisher_id)
    assert sequences == [1] + [2] * attempts + [3], sequences
    tally.check(
        [reader],
        f"batch 2 delivered {attempts} times, reported failed each time and given up on; "
        "applied once, batch 3 applied after it",
    )
    assert [item.data.n for item in reader.items] == list(range(130))
    await handle.terminate()


async def test_truncation_while_a_subscriber_lags(
    client: Client, worker: Worker, task_queue: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="wstream.pages")
    handle = await start_host(client, task_queue)
    publisher = WorkflowStreamClient.create(client, handle.id, max_batch_size=100)
    tally = Tally("7 truncation while a subscriber lags")
    follower = subscriber(client, handle.id, "follower")
    lagging_client = WorkflowStreamClient.create(client, handle.id)
    lagging = lagging_client.topic("events", type=Event).subscribe()

    tally.record_published("p", await send(publisher, "p", range(300)))
    # The lagging subscriber reads the first 300 items, then stops asking for more.
    early = await collect(lagging, 300, timeout=30)
    tally.record_published("p", await send(publisher, "p", range(300, 1000)))
    await follower.wait_for_offset(1000, 30)
    await handle.signal(HostWorkflow.request_truncate, 800)

    async def truncated() -> None:
        while await base_offset(handle) != 800:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(truncated(), 10)
    tally.record_published("p", await send(publisher, "p", range(1000, 1200)))
    # It resumes: offsets 300..799 are gone, so it must continue from the retained base.
    late = Reader("lagging", lagging)
    # Its reading task has not run yet (no await since it was made), so this goes first.
    late.items.extend(early)
    for reader in (follower, late):
        await reader.wait_for_offset(1200, 30)
        await reader.stop()

    skipped = lagging_client.poll_stats.items_skipped
    tally.check([follower])
    check_exact(
        tally.fault,
        late,
        [item for item in follower.items if item.offset < 300 or item.offset >= 800],
        f"paused at offset 300, truncated to 800, skipped {skipped} "
        "(poll_stats.items_skipped and the log)",
    )
    assert skipped == 800 - 300
    warnings = [r.getMessage() for r in caplog.records if r.name == "wstream.pages"]
    assert any(
        "offset 300 was truncated; skipped 500 items and resumed at offset 800" in m
        for m in warnings
    ), warnings
    assert follower.items[0].offset == 0 and late.items[300].offset == 800
    await handle.terminate()


async def resend(
    handle: WorkflowHandle[Any, Any], stream: WorkflowStreamClient, sequence: int, n: int
) -> None:
    """Send a publish batch by hand as ``stream``'s publisher, as a late retry would."""
    item = stream.topic("events", type=Event).codec.encode(Event(name="stale", n=n))
    body = {
        "items": [{"topic": "events", "data": encode_payload(item)}],
        "publisher_id": stream.publisher_id,
        "sequence": sequence,
    }
    payload = Payload(metadata={"encoding": b"json/plain"}, data=json.dumps(body).encode())
    await handle.signal(PUBLISH_SIGNAL, RawValue(payload))


async def test_publisher_ttl_across_continue_as_new(
    time_skipping_env: WorkflowEnvironment, task_queue: str
) -> None:
    env = time_skipping_env
    client = env.client
    async with Worker(client, task_queue=task_queue, workflows=[TtlHostWorkflow]):
        started = await client.start_workflow(
            TtlHostWorkflow.run,
            TtlHostInput(publisher_ttl_seconds=60),
            id=f"ttl-{uuid.uuid4().hex[:10]}",
            task_queue=task_queue,
        )
        # Signals and queries go to the latest run of the chain.
        handle = client.get_workflow_handle(started.id)
        idle = WorkflowStreamClient.create(client, handle.id)
        active = WorkflowStreamClient.create(client, handle.id)
        tally = Tally("8 publisher TTL")
        tally.record_published("idle", await send(idle, "idle", range(10)))
        tally.record_published("idle", await send(idle, "idle", range(10, 20)))
        tally.record_published("active", await send(active, "active", range(10)))
        tally.record_published("active", await send(active, "active", range(10, 20)))

        await env.sleep(timedelta(seconds=40))
        tally.record_published("active", await send(active, "active", range(20, 30)))
        await env.sleep(timedelta(seconds=30))
        # Now `idle` was last seen 70 s ago (over the 60 s TTL), `active` 30 s ago.
        before = await handle.query(TtlHostWorkflow.known_publishers)
        assert before == {idle.publisher_id: 2, active.publisher_id: 3}

        await handle.signal(TtlHostWorkflow.request_continue_as_new)

        async def second_run() -> None:
            # Wait through describe: the test server may not answer a query sent to a run
            # that is closing.
            while (await handle.describe()).run_id == started.result_run_id:
                await asyncio.sleep(0.05)

        await asyncio.wait_for(second_run(), 10)
        assert await handle.query(TtlHostWorkflow.current_run_number) == 2
        forgotten = await handle.query(TtlHostWorkflow.known_publishers)
        assert forgotten == {active.publisher_id: 3}

        # The remembered publisher still has dedup: a late retry of its batch 3 is dropped.
        await resend(handle, active, 3, 0)
        # The forgotten one comes back with its next sequence (3): accepted, not dropped.
        tally.record_published("idle", await send(idle, "idle", range(20, 30)))
        tally.record_published("active", await send(active, "active", range(30, 40)))
        after = await handle.query(TtlHostWorkflow.known_publishers)
        assert after == {idle.publisher_id: 3, active.publisher_id: 4}

        reader = subscriber(client, handle.id, "s0")
        await handle.signal(TtlHostWorkflow.finish_now)
        end = await handle.result()
        assert end == tally.total_published == 70
        await reader.wait_for_offset(end, 30)
        await reader.stop()
        tally.check(
            [reader],
            "idle publisher forgotten after 70 s > TTL 60 s across continue-as-new, its next "
            "batch accepted; active publisher (30 s) remembered, its late retry dropped",
        )
