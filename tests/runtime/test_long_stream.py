"""Streams longer than one run: sealed segments read back, exactly once, across every boundary."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
)
from temporalio.common import RawValue
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.runtime.helpers import FIGURES, collect, collect_all, runs_of
from tests.runtime.long_stream_workflows import LongInput, LongStreamWorkflow
from tests.runtime.sse.support import FrameReader, parse_frames, serve
from tests.runtime.tail.process import cli_env, run_cli
from wstream import StreamNotFoundError, WorkflowStreamClient, WorkflowStreamItem, limits
from wstream.raw_pages import RawItem, is_raw_page, parse_raw_page
from wstream.sse import sse_app
from wstream.wire import (
    CLOSING_MEMO,
    OFFSET_QUERY,
    POLL_HANDLER,
    PUBLISH_SIGNAL,
    PollInput,
    SealedSegment,
    encode_poll,
    parse_poll_result,
)

#: ~150-byte items, as in the issue's measurements.
PAD = "x" * 130


@pytest_asyncio.fixture
async def long_worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """A sandboxed worker hosting the long-stream workflow on the test's task queue."""
    async with Worker(client, task_queue=task_queue, workflows=[LongStreamWorkflow]) as worker:
        yield worker


async def start_long(client: Client, task_queue: str, args: LongInput) -> str:
    workflow_id = f"long-{uuid.uuid4().hex[:10]}"
    await client.start_workflow(LongStreamWorkflow.run, args, id=workflow_id, task_queue=task_queue)
    return workflow_id


async def publish(
    client: Client,
    workflow_id: str,
    name: str,
    count: int,
    *,
    pace: int = 0,
    first: int = 0,
    **options: Any,
) -> None:
    """Publish items ``first`` to ``first + count - 1``; with ``pace``, pause 50 ms after
    every ``pace`` items."""
    stream = WorkflowStreamClient.create(client, workflow_id, **options)
    items = stream.topic("items", type=str)
    async with stream:
        for n in range(first, first + count):
            await items.publish_wait(f"{name}:{n:06d}:{PAD}")
            if pace and n % pace == pace - 1:
                await asyncio.sleep(0.05)


async def publish_until_runs(
    client: Client, workflow_id: str, runs: int, *, count: int, chunk: int, **options: Any
) -> int:
    """Publish ``count`` items of publisher "p", then more ``chunk`` by ``chunk`` until the
    chain is in its ``runs``-th run (at most 10 chunks); returns how many were published.

    How many items a run takes depends on the machine's load (a run also holds what arrives
    while it continues as new), so the tests publish until the chain is long enough.
    """
    await publish(client, workflow_id, "p", count, **options)
    latest = client.get_workflow_handle(workflow_id)
    for _ in range(10):
        if await latest.query(LongStreamWorkflow.current_run) >= runs - 1:
            return count
        await publish(client, workflow_id, "p", chunk, first=count, **options)
        count += chunk
    raise AssertionError(f"{count:,} items did not take the stream through {runs} runs")


async def finish(client: Client, workflow_id: str) -> int:
    latest = client.get_workflow_handle(workflow_id)
    await latest.signal(LongStreamWorkflow.finish)
    return int(await latest.result(follow_runs=True))


async def read_all(client: Client, workflow_id: str) -> tuple[list[WorkflowStreamItem[str]], Any]:
    stream = WorkflowStreamClient.create(client, workflow_id)
    items = await collect_all(stream.subscribe(from_offset=0, result_type=str), timeout=120)
    return items, stream.poll_stats


def check_log(items: list[WorkflowStreamItem[str]], publishers: dict[str, int]) -> int:
    """Assert every item once, in order; return how many runs the marks show."""
    assert [i.offset for i in items] == list(range(len(items)))
    for name, count in publishers.items():
        mine = [i.data.split(":")[1] for i in items if i.data.startswith(f"{name}:")]
        assert mine == [f"{n:06d}" for n in range(count)], f"publisher {name}"
    marks = [i.data for i in items if i.topic == "marks"]
    runs = sum(1 for m in marks if m.endswith("started"))
    expected: list[str] = []
    for run in range(runs):
        expected.append(f"run {run} started")
        if run < runs - 1:
            expected.append(f"run {run} sealed")
    assert marks == expected
    return runs


async def test_several_runs_read_back_from_zero_and_live_exactly_once(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    budget = 256 * 1024
    args = LongInput(run_log_bytes=budget, tail_bytes=16 * 1024, segments_carried=2)
    workflow_id = await start_long(client, task_queue, args)
    live_client = WorkflowStreamClient.create(client, workflow_id)
    live = asyncio.create_task(
        collect_all(live_client.subscribe(from_offset=0, result_type=str), timeout=180)
    )
    # ~650 KB/s, paced: a run overshoots its budget by what arrives while it continues as
    # new. At least 3 MB, and on until the sixth run.
    count = await publish_until_runs(
        client, workflow_id, 6, count=12_000, chunk=2_000, pace=120, max_batch_bytes=32 * 1024
    )
    end = await finish(client, workflow_id)

    items, stats = await read_all(client, workflow_id)
    runs = check_log(items, {"p": count})
    assert len(items) == end
    assert runs >= 5
    assert stats.sealed_queries > 0 and stats.items_skipped == 0
    assert [(i.offset, i.data) for i in await live] == [(i.offset, i.data) for i in items]
    assert live_client.poll_stats.items_skipped == 0

    chain = await runs_of(client, workflow_id)
    assert len(chain) == runs
    sizes = [r.raw_info.history_size_bytes for r in chain]
    total = sum(sizes)
    # A run's history is its budget plus what arrives while it continues as new (how much
    # depends on the machine's load): bounded by the run, not by the stream.
    assert total > 3 * 1024 * 1024
    assert max(sizes) <= total / 2, sizes
    FIGURES.append(
        f"long stream: {len(items):,} items in {runs} runs, {total / 1e6:.1f} MB of history, "
        f"largest run {max(sizes) / 1e3:.0f} KB (budget {budget / 1e3:.0f} KB); read back "
        f"from 0 with {stats.sealed_queries} queries to closed runs"
    )


async def test_worker_restart_between_runs(client: Client, task_queue: str) -> None:
    args = LongInput(run_log_bytes=128 * 1024, tail_bytes=4 * 1024)
    async with Worker(client, task_queue=task_queue, workflows=[LongStreamWorkflow]):
        workflow_id = await start_long(client, task_queue, args)
        await publish(client, workflow_id, "a", 2_000, max_batch_bytes=16 * 1024)
    # No worker: batches still land (the server holds the signals); the run is over budget
    # and continues as new only once a new worker takes it.
    await publish(client, workflow_id, "b", 1_000, max_batch_bytes=16 * 1024)
    async with Worker(client, task_queue=task_queue, workflows=[LongStreamWorkflow]):
        await publish(client, workflow_id, "c", 1_000, max_batch_bytes=16 * 1024)
        end = await finish(client, workflow_id)
        items, stats = await read_all(client, workflow_id)
    assert len(items) == end
    assert check_log(items, {"a": 2_000, "b": 1_000, "c": 1_000}) >= 3
    assert stats.sealed_queries > 0


class AckAfterContinueAsNew(Interceptor):
    """Delivers every third publish signal and reports it failed; every twelfth is reported
    failed only after the workflow has continued as new, so its retry reaches a run that
    never saw the original.

    One signal is held at a time: the other publishers' batches move the run to its end.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.signals = 0
        self.holding = False
        #: Retries forced across a continue-as-new boundary.
        self.crossed = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _AckAfter(self, next)


class _AckAfter(OutboundInterceptor):
    def __init__(self, faults: AckAfterContinueAsNew, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._faults = faults

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        faults = self._faults
        if input.signal != PUBLISH_SIGNAL:
            return await super().signal_workflow(input)
        faults.signals += 1
        if faults.signals % 3:
            return await super().signal_workflow(input)
        if faults.signals % 12 or faults.holding:
            await super().signal_workflow(input)
            raise RPCError("injected: delivered, reported failed", RPCStatusCode.UNAVAILABLE, b"")
        faults.holding = True
        try:
            before = (await faults.client.get_workflow_handle(input.id).describe()).run_id
            await super().signal_workflow(input)
            for _ in range(100):
                after = (await faults.client.get_workflow_handle(input.id).describe()).run_id
                if after != before:
                    faults.crossed += 1
                    break
                await asyncio.sleep(0.02)
        finally:
            faults.holding = False
        raise RPCError("injected: delivered, reported failed", RPCStatusCode.UNAVAILABLE, b"")


async def test_retrying_publishers_across_continue_as_new_lose_and_repeat_nothing(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    args = LongInput(run_log_bytes=96 * 1024, tail_bytes=4 * 1024)
    workflow_id = await start_long(client, task_queue, args)
    faults = AckAfterContinueAsNew(client)
    flaky = Client(**{**client.config(), "interceptors": [faults]})
    counts = {"p1": 1_500, "p2": 1_500, "p3": 1_500}
    await asyncio.gather(
        *(
            publish(flaky, workflow_id, name, n, max_batch_bytes=8 * 1024)
            for name, n in counts.items()
        )
    )
    end = await finish(client, workflow_id)
    items, _ = await read_all(client, workflow_id)
    assert len(items) == end
    assert check_log(items, counts) >= 3
    assert faults.crossed >= 1, "no retry crossed a continue-as-new"
    FIGURES.append(
        f"long stream, 3 publishers: {faults.signals} signals, {faults.crossed} retried "
        "across a continue-as-new, 0 lost, 0 duplicated"
    )


async def test_a_deleted_sealed_run_reads_as_truncation(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    args = LongInput(run_log_bytes=64 * 1024, tail_bytes=2 * 1024, segments_carried=8)
    workflow_id = await start_long(client, task_queue, args)
    published = await publish_until_runs(
        client, workflow_id, 3, count=1_500, chunk=500, pace=40, max_batch_bytes=8 * 1024
    )
    latest = client.get_workflow_handle(workflow_id)
    segments: list[SealedSegment] = await latest.query(LongStreamWorkflow.segments)
    assert len(segments) >= 2
    first = segments[0]
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=workflow_id, run_id=first.run_id),
        )
    )
    gone = client.get_workflow_handle(workflow_id, run_id=first.run_id)
    for _ in range(1200):  # the dev server deletes in the background, within ~35 s here
        try:
            await gone.describe()
        except RPCError as error:
            assert error.status == RPCStatusCode.NOT_FOUND
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"run {first.run_id} was not deleted")
    end = await finish(client, workflow_id)

    items, stats = await read_all(client, workflow_id)
    assert [i.offset for i in items] == list(range(first.end_offset, end))
    assert stats.items_skipped == first.end_offset
    received = [i.data for i in items if i.topic == "items"]
    assert received == [f"p:{n:06d}:{PAD}" for n in range(published)][-len(received) :]


async def sealed_stream(client: Client, task_queue: str) -> tuple[str, int, int]:
    """A finished stream over 3+ runs; returns its id, items published and end offset."""
    args = LongInput(run_log_bytes=48 * 1024, tail_bytes=1024)
    workflow_id = await start_long(client, task_queue, args)
    count = await publish_until_runs(
        client, workflow_id, 3, count=1_200, chunk=400, pace=40, max_batch_bytes=8 * 1024
    )
    return workflow_id, count, await finish(client, workflow_id)


async def test_tail_and_the_sse_bridge_read_sealed_segments(
    client: Client, long_worker: Worker, task_queue: str, tmp_path: Path
) -> None:
    workflow_id, count, end = await sealed_stream(client, task_queue)
    assert len(await runs_of(client, workflow_id)) >= 3
    address = client.service_client.config.target_host
    done = await run_cli(["tail", workflow_id, "--json", "--address", address], cli_env(tmp_path))
    assert done.status == 0, done.err
    lines = [json.loads(line) for line in done.out.splitlines()]
    assert [line["offset"] for line in lines] == list(range(end))
    assert [line["data"] for line in lines if line["topic"] == "items"] == [
        f"p:{n:06d}:{PAD}" for n in range(count)
    ]

    app = sse_app(client, retry=None, poll_cooldown=timedelta(milliseconds=20))
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as http,
        http.stream("GET", f"/{workflow_id}") as response,
    ):
        frames = parse_frames(await FrameReader(response).to_end())
    assert [int(f["id"]) for f in frames if "id" in f] == list(range(end))


async def test_an_official_client_sees_sealed_segments_as_truncated(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    args = LongInput(run_log_bytes=48 * 1024, tail_bytes=1024)
    workflow_id = await start_long(client, task_queue, args)
    await publish_until_runs(
        client, workflow_id, 3, count=1_200, chunk=400, pace=40, max_batch_bytes=8 * 1024
    )
    theirs = OfficialClient.create(client, workflow_id)
    first = None
    async for item in theirs.subscribe(["items"], 0, result_type=str):
        first = item
        break
    assert first is not None
    segments: list[SealedSegment] = await client.get_workflow_handle(workflow_id).query(
        LongStreamWorkflow.segments
    )
    # It starts at the latest run's base, as after truncate(); wstream reads from 0.
    assert first.offset > 0
    assert first.offset >= segments[-1].first_offset
    ours, _ = await asyncio.gather(
        collect_all(
            WorkflowStreamClient.create(client, workflow_id).subscribe(
                from_offset=0, result_type=str
            )
        ),
        finish(client, workflow_id),
    )
    assert [i.offset for i in ours] == list(range(len(ours)))
    assert ours[first.offset].data == first.data


async def test_a_closed_run_answers_a_binary_page_only_to_a_reader_that_asks(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    args = LongInput(run_log_bytes=48 * 1024, tail_bytes=1024)
    workflow_id = await start_long(client, task_queue, args)
    await publish_until_runs(
        client, workflow_id, 2, count=600, chunk=300, pace=40, max_batch_bytes=8 * 1024
    )
    await finish(client, workflow_id)
    # Visibility lists the newest run first: the oldest holds the stream's first items.
    first_run = min(await runs_of(client, workflow_id), key=lambda run: run.start_time)
    sealed = client.get_workflow_handle(workflow_id, run_id=first_run.run_id)

    async def ask(**flags: bool) -> Payload:
        request = encode_poll(PollInput(["items"], 0, **flags))
        answer: RawValue = await sealed.query(POLL_HANDLER, RawValue(request), result_type=RawValue)
        return answer.payload

    binary = await ask(compress=True, raw_pages=True)
    # A wstream reader from before binary pages asks with compress only; others with neither.
    older = await ask(compress=True)
    official = await ask()
    assert is_raw_page(binary) and not is_raw_page(older) and not is_raw_page(official)
    assert b"items_zlib" in older.data and b"items_zlib" not in official.data
    pages = [parse_raw_page(binary.data), parse_poll_result(older.data)]
    pages.append(parse_poll_result(official.data))
    rows = [[(i.topic, i.offset, i.payload()) for i in page.items] for page in pages]
    assert rows[0] == rows[1] == rows[2] and len(rows[0]) > 100
    assert all(isinstance(item, RawItem) for item in pages[0].items)


class RefusedAsCompleted(Interceptor):
    """Refuses the first few publish signals and poll/offset queries as the server does to
    a run continuing as new: NOT_FOUND "workflow execution already completed", not applied."""

    def __init__(self, refusals: int) -> None:
        self.signals_left = refusals
        self.queries_left = refusals
        self.refused = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Refusing(self, next)


class _Refusing(OutboundInterceptor):
    def __init__(self, refusals: RefusedAsCompleted, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._refusals = refusals

    def _refuse(self) -> None:
        self._refusals.refused += 1
        raise RPCError("workflow execution already completed", RPCStatusCode.NOT_FOUND, b"")

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        if input.signal == PUBLISH_SIGNAL and self._refusals.signals_left > 0:
            self._refusals.signals_left -= 1
            self._refuse()
        return await super().signal_workflow(input)

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        if input.query in (POLL_HANDLER, OFFSET_QUERY) and self._refusals.queries_left > 0:
            self._refusals.queries_left -= 1
            self._refuse()
        return await super().query_workflow(input)


async def test_a_refusal_as_completed_while_the_workflow_runs_is_retried(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    workflow_id = await start_long(client, task_queue, LongInput())
    refusals = RefusedAsCompleted(3)
    config = client.config()
    config["interceptors"] = [refusals]
    refused = Client(**config)
    await publish(refused, workflow_id, "p", 50)
    stream = WorkflowStreamClient.create(refused, workflow_id)
    assert await stream.get_offset() == 51  # the run's mark and the 50 items, each once
    refusals.queries_left = 3
    items = await collect(stream.subscribe(["items"], result_type=str), 50)
    assert [i.data for i in items] == [f"p:{n:06d}:{PAD}" for n in range(50)]
    assert refusals.refused == 9
    # A workflow that has really completed is gone: refused at once, and said so.
    await finish(client, workflow_id)
    gone = WorkflowStreamClient.create(client, workflow_id)
    gone.topic("items", type=str).publish("late")
    with pytest.raises(StreamNotFoundError, match="already completed"):
        await asyncio.wait_for(gone.flush(), 10)


async def start_noting_the_run(client: Client, task_queue: str, args: LongInput) -> tuple[str, str]:
    """Start a long stream; return its workflow id and its first run's id."""
    workflow_id = await start_long(client, task_queue, args)
    return workflow_id, (await client.get_workflow_handle(workflow_id).describe()).run_id


async def test_a_run_continues_as_new_once_old_enough_and_announces_it_first(
    client: Client, long_worker: Worker, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow machine publishes this stream below 1 MiB/s: count it as fast at 64 KiB/s.
    monkeypatch.setattr(limits, "HAND_OVER_MIN_BYTES_PER_SECOND", 64 * 1024)
    args = LongInput(run_log_bytes=32 * 1024, min_run_seconds=1.0, closing_wait_seconds=0.3)
    workflow_id, first_run = await start_noting_the_run(client, task_queue, args)
    # Past the budget at once, and fast (a fast stream hands over quietly) until the run is
    # 1 s old and continues as new.
    sent = 0
    while await client.get_workflow_handle(workflow_id).query(LongStreamWorkflow.current_run) < 1:
        assert sent < 100_000, "the run did not continue as new"
        await publish(client, workflow_id, "p", 4_000, first=sent)
        sent += 4_000
    end = await finish(client, workflow_id)
    items, _ = await read_all(client, workflow_id)
    assert check_log(items, {"p": sent}) >= 2
    assert len(items) == end

    first = client.get_workflow_handle(workflow_id, run_id=first_run)
    events = [e async for e in first.fetch_history_events()]
    kinds = [e.event_type for e in events]
    task_started = events[kinds.index(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)]
    announced = events[kinds.index(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)]
    closed = events[-1]
    assert closed.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    memo = announced.workflow_properties_modified_event_attributes.upserted_memo.fields
    assert json.loads(memo[CLOSING_MEMO].data) == first_run
    # Suggested only once the run was 1 s old, although past its budget long before.
    age = announced.event_time.ToDatetime() - task_started.event_time.ToDatetime()
    assert age.total_seconds() >= 1.0
    assert announced.event_id < closed.event_id


async def test_a_slow_stream_continues_as_new_without_announcing_it(
    client: Client, long_worker: Worker, task_queue: str
) -> None:
    args = LongInput(run_log_bytes=8 * 1024, min_run_seconds=0.0, closing_wait_seconds=5.0)
    workflow_id, first_run = await start_noting_the_run(client, task_queue, args)
    # ~15 KB in batches over 0.5 s: past the budget, at ~30 KB/s.
    await publish(client, workflow_id, "p", 100, pace=10, batch_interval=timedelta(milliseconds=50))
    latest = client.get_workflow_handle(workflow_id)
    for _ in range(100):
        if await latest.query(LongStreamWorkflow.current_run) >= 1:
            break
        await asyncio.sleep(0.05)
    await finish(client, workflow_id)
    first = client.get_workflow_handle(workflow_id, run_id=first_run)
    kinds = [e.event_type async for e in first.fetch_history_events()]
    assert kinds[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED not in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds
