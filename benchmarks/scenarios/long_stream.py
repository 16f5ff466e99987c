"""Scenario 9: a long stream through one workflow id, continuing as new many times."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    WorkflowExecutionStatus,
)

from benchmarks.data import Record, record, record_bytes
from benchmarks.impls import WSTREAM, Impl
from benchmarks.scenarios.common import failure, percentile
from benchmarks.server import Bench, finish

#: No growth of the end offset for this long means the stream has stopped for good.
_STALL_SECONDS = 20.0


class SignalTimes(Interceptor):
    """Records how long every signal RPC took, continue-as-new boundaries included."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return _Timed(self, next)


class _Timed(OutboundInterceptor):
    def __init__(self, times: SignalTimes, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._times = times

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        started = time.perf_counter()
        try:
            await super().signal_workflow(input)
        finally:
            self._times.seconds.append(time.perf_counter() - started)


async def _publish(impl: Impl, stream: Any, n: int) -> None:
    """wstream waits on its bounded buffer; the official flushes every 500 items, the only
    way its batches stay below the payload limit (one burst would be one oversized signal)."""
    topic = stream.topic("events", type=Record)
    async with stream:
        for i in range(n):
            if impl is WSTREAM:
                await topic.publish_wait(record(i))
            else:
                topic.publish(record(i))
                if i % 500 == 499:
                    await stream.flush()


async def _wait_end(stream: Any, n: int, deadline: float) -> float:
    """Monotonic time the end offset reached ``n``; raises once it stops growing."""
    last, last_change = -1, time.monotonic()
    while True:
        try:
            offset = await asyncio.wait_for(stream.get_offset(), 10)
        except Exception:
            offset = last
        now = time.monotonic()
        if offset >= n:
            return now
        if offset != last:
            last, last_change = offset, now
        if now - last_change > _STALL_SECONDS or now > deadline:
            raise RuntimeError(f"the stream stopped at offset {max(last, 0):,} of {n:,}")
        await asyncio.sleep(0.1)


async def _where(stream: Any) -> str:
    """Where the stream's end offset stands, for a failure note (best effort)."""
    try:
        return f" (end offset {await asyncio.wait_for(stream.get_offset(), 10):,})"
    except Exception as error:
        return f" (end offset unknown: {failure(error)})"


async def _chain(client: Client, workflow_id: str) -> list[Any]:
    """Every run of the chain once visibility lists them all closed."""
    runs: list[Any] = []
    for _ in range(100):
        runs = [w async for w in client.list_workflows(f"WorkflowId = '{workflow_id}'")]
        if runs and all(r.status != WorkflowExecutionStatus.RUNNING for r in runs):
            break
        await asyncio.sleep(0.2)
    return runs


async def _read_back(impl: Impl, client: Client, workflow_id: str, n: int) -> dict[str, Any]:
    stream = impl.client(client, workflow_id)
    seqs: list[int] = []
    started = time.monotonic()
    async for item in stream.subscribe("events", 0, result_type=Record):
        seqs.append(item.data.seq)
        if len(seqs) >= n:
            break
    seconds = time.monotonic() - started
    unique = set(seqs)
    return {
        "long_readback_items_per_s": len(seqs) / seconds,
        "long_lost": n - len(unique & set(range(n))),
        "long_duplicated": len(seqs) - len(unique),
        "long_in_order": seqs == sorted(seqs),
    }


def _ms(values: Sequence[float], q: float) -> float:
    return percentile(list(values), q) * 1000


async def run(bench: Bench, impl: Impl, total_bytes: int, timeout: float) -> dict[str, Any]:
    """Publish ``total_bytes`` of ~150-byte items with the README pattern, then read back."""
    n = max(1, total_bytes // record_bytes())
    figures: dict[str, Any] = {"long_items": n}
    handle = await bench.start(impl.long_workflow)
    timed = SignalTimes()
    config = bench.client.config()
    config["interceptors"] = [timed]
    client = Client(**config)
    stream = impl.client(client, handle.id)
    started = time.monotonic()
    deadline = started + timeout
    try:
        await asyncio.wait_for(_publish(impl, stream, n), timeout)
        done = await _wait_end(stream, n, deadline)
        figures["long_items_per_s"] = n / (done - started)
    except Exception as error:
        figures["long_items_per_s"] = failure(error) + await _where(stream)
        await finish(client.get_workflow_handle(handle.id))
        return figures
    watch = getattr(getattr(stream, "_publisher", None), "run_watch", None)
    if watch is not None:
        figures["long_holds"] = watch.holds
        figures["long_held_seconds"] = watch.held_seconds
    if timed.seconds:
        figures["long_signal_p50_ms"] = _ms(timed.seconds, 50)
        figures["long_signal_p99_ms"] = _ms(timed.seconds, 99)
        figures["long_signal_max_ms"] = max(timed.seconds) * 1000
    await finish(client.get_workflow_handle(handle.id))
    chain = await _chain(bench.client, handle.id)
    if chain:
        figures["long_runs"] = len(chain)
        figures["long_max_run_history_mb"] = max(r.raw_info.history_size_bytes for r in chain) / 1e6
        figures["long_total_history_mb"] = sum(r.raw_info.history_size_bytes for r in chain) / 1e6
    try:
        figures.update(
            await asyncio.wait_for(_read_back(impl, bench.client, handle.id, n), timeout)
        )
    except Exception as error:
        figures["long_readback_items_per_s"] = failure(error)
    return figures
