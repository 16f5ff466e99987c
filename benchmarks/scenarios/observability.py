"""Scenario 11: what metrics and tracing cost, burst and live latency with them off and on."""

from __future__ import annotations

import asyncio
from typing import Any

from opentelemetry import trace
from temporalio.client import Client

from benchmarks.impls import WSTREAM, Impl
from benchmarks.observed import metered_runtime, tracing_switch
from benchmarks.scenarios import live, publish
from benchmarks.server import Bench, finish, worker_process
from wstream import WorkflowStreamClient


class _StampingClient:
    """wstream's client with every item time-stamped (``stamp_publish_time``)."""

    @staticmethod
    def create(client: Client, workflow_id: str, **options: Any) -> WorkflowStreamClient:
        return WorkflowStreamClient.create(client, workflow_id, stamp_publish_time=True, **options)


#: wstream with observability on: items carry their publish time (and, inside a span, the
#: span's trace context).
OBSERVED = Impl(WSTREAM.name, WSTREAM.workflow, _StampingClient, WSTREAM.long_workflow)


async def _measure(bench: Bench, impl: Impl, items: int, live_items: int, interval: float,
                   timeout: float) -> dict[str, Any]:  # fmt: skip
    handle, figures = await publish.burst(bench, impl, items, timeout)
    if handle is not None:
        await finish(handle)
    figures.update(await live.latency(bench, impl, live_items, interval, timeout))
    return figures


async def _mode(client: Client, on: bool, items: int, live_items: int, interval: float,
                timeout: float) -> dict[str, Any]:  # fmt: skip
    """One measurement with observability ``on`` (both sides) or off."""
    switch = tracing_switch()
    switch.on = on
    if on:
        config = client.config()
        client = await Client.connect(
            client.service_client.config.target_host,
            namespace=client.namespace,
            runtime=metered_runtime(),
            data_converter=config["data_converter"],
        )
    impl = OBSERVED if on else WSTREAM
    async with worker_process(client, metrics=on) as bench:
        # Warm the sandbox up first, as the other scenarios do.
        warm = await bench.start(impl.workflow)
        await asyncio.wait_for(impl.client(client, warm.id).get_offset(), 60)
        await finish(warm)
        if not on:
            return await _measure(bench, impl, items, live_items, interval, timeout)
        # Everything published inside a span: each item carries its trace context too.
        with trace.get_tracer("benchmarks").start_as_current_span("publishing"):
            return await _measure(bench, impl, items, live_items, interval, timeout)


async def run(client: Client, rep: int, items: int, live_items: int, interval: float,
              timeout: float) -> dict[str, Any]:  # fmt: skip
    """Burst and live latency with observability off and on, the order alternating by rep."""
    figures: dict[str, Any] = {}
    order = (False, True) if rep % 2 == 0 else (True, False)
    spans_before = tracing_switch().exporter.exported
    for on in order:
        got = await _mode(client, on, items, live_items, interval, timeout)
        prefix = "obs_on" if on else "obs_off"
        figures[f"{prefix}_burst_items_per_s"] = got.get("burst_items_per_s")
        figures[f"{prefix}_live_p50_ms"] = got.get("live_p50_ms")
        figures[f"{prefix}_live_p99_ms"] = got.get("live_p99_ms")
        figures[f"{prefix}_live_hist_bytes_per_item"] = got.get("live_hist_bytes_per_item")
    tracing_switch().on = False
    await asyncio.sleep(5.5)  # the batch span processor exports every 5 s
    figures["obs_spans_recorded"] = tracing_switch().exporter.exported - spans_before
    return figures
