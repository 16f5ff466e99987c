"""Scenario 11: what metrics and tracing cost, burst and live latency with them off and on."""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from temporalio.client import Client

from benchmarks.data import Record, record
from benchmarks.impls import WSTREAM, Impl
from benchmarks.observed import metered_runtime, tracing_switch
from benchmarks.scenarios import live
from benchmarks.scenarios.common import failure, wait_offset
from benchmarks.server import Bench, finish, worker_process
from wstream import WorkflowStreamClient

#: Items published inside one span: the burst is a job of many traced steps.
ITEMS_PER_SPAN = 200


@dataclass(frozen=True)
class Mode:
    """One configuration: metrics on or off, the sampler (None: tracing off), time stamps."""

    key: str
    metrics: bool
    sampler: str | None
    stamp: bool = False


MODES = (
    Mode("obs_off", metrics=False, sampler=None),
    Mode("obs_on", metrics=True, sampler="ratio"),
    Mode("obs_all", metrics=True, sampler="always"),
    Mode("obs_stamped", metrics=True, sampler="always", stamp=True),
)


class _Client:
    """wstream's client, time-stamping items when the mode says so."""

    def __init__(self, stamp: bool) -> None:
        self.stamp = stamp

    def create(self, client: Client, workflow_id: str, **options: Any) -> WorkflowStreamClient:
        return WorkflowStreamClient.create(
            client, workflow_id, stamp_publish_time=self.stamp, **options
        )


async def _burst(bench: Bench, stream: WorkflowStreamClient, n: int, timeout: float) -> float:
    """``n`` publish() calls, a span around every :data:`ITEMS_PER_SPAN`; items/s."""
    tracer = trace.get_tracer("benchmarks")
    topic = stream.topic("events", type=Record)
    records = [record(i) for i in range(n)]
    started = time.monotonic()

    async def go() -> float:
        async with stream:
            for first in range(0, n, ITEMS_PER_SPAN):
                with tracer.start_as_current_span("step"):
                    for value in records[first : first + ITEMS_PER_SPAN]:
                        topic.publish(value)
        return await wait_offset(stream, n, timeout)

    return n / (await asyncio.wait_for(go(), timeout) - started)


def _impl(mode: Mode) -> Impl:
    return Impl(WSTREAM.name, WSTREAM.workflow, _Client(mode.stamp), WSTREAM.long_workflow)


async def _one_burst(bench: Bench, mode: Mode, items: int, timeout: float) -> float | str:
    tracing_switch().mode = mode.sampler
    impl = _impl(mode)
    handle = await bench.start(impl.workflow)
    try:
        return await _burst(bench, impl.client(bench.client, handle.id), items, timeout)
    except Exception as error:
        return failure(error)
    finally:
        await finish(handle)


async def _one_live(bench: Bench, mode: Mode, live_items: int, interval: float,
                    timeout: float) -> dict[str, Any]:  # fmt: skip
    tracing_switch().mode = mode.sampler
    # The live items are published inside one span (a traced job).
    with trace.get_tracer("benchmarks").start_as_current_span("job"):
        got = await live.latency(bench, _impl(mode), live_items, interval, timeout, prefix=mode.key)
    return {k: v for k, v in got.items() if k.startswith(mode.key)}


async def run(client: Client, rep: int, items: int, live_items: int, interval: float,
              timeout: float) -> dict[str, Any]:  # fmt: skip
    """Every mode's burst four times (A B C D D C B A, twice; the median), live latency once.

    One burst moves by ±15% from the next on a 2-core machine, and the first dozen after a
    worker starts run up to 50% slower than later ones: one unmeasured burst per mode comes
    first, and the measured ones interleave so what drift remains favours no mode.

    Two worker processes serve all of it, one whose runtime exports metrics and one without;
    each mode publishes through a client on the matching runtime, to the matching worker.
    """
    metered = await Client.connect(
        client.service_client.config.target_host,
        namespace=client.namespace,
        runtime=metered_runtime(),
    )
    figures: dict[str, Any] = {}
    order = MODES if rep % 2 == 0 else MODES[::-1]
    async with worker_process(client) as plain, worker_process(metered, metrics=True) as observed:
        benches = {False: plain, True: Bench(metered, observed.task_queue)}
        for bench in benches.values():  # the sandbox warmed up, as elsewhere
            warm = await bench.start(WSTREAM.workflow)
            await asyncio.wait_for(WSTREAM.client(bench.client, warm.id).get_offset(), 60)
            await finish(warm)
        for mode in (*order, *order[::-1]):  # warming up: not measured
            await _one_burst(benches[mode.metrics], mode, items, timeout)
        bursts: dict[str, list[float]] = {mode.key: [] for mode in MODES}
        for mode in (*order, *order[::-1], *order, *order[::-1]):
            rate = await _one_burst(benches[mode.metrics], mode, items, timeout)
            if isinstance(rate, str):
                figures[f"{mode.key}_burst_items_per_s"] = rate
            else:
                bursts[mode.key].append(rate)
        for key, rates in bursts.items():
            if len(rates) == 4:
                figures[f"{key}_burst_items_per_s"] = statistics.median(rates)
        for mode in order:
            figures.update(
                await _one_live(benches[mode.metrics], mode, live_items, interval, timeout)
            )
    tracing_switch().mode = None
    return figures
