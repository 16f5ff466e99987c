"""Scenarios 1, 2, 3 and 5: burst publish, paced publish, backlog read, history cost."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from benchmarks.data import Record, record
from benchmarks.impls import Impl
from benchmarks.scenarios.common import failure, read, wait_offset
from benchmarks.server import Bench, finish, history


async def burst(bench: Bench, impl: Impl, n: int, timeout: float) -> tuple[Any, dict[str, Any]]:
    """``n`` publish() calls with no awaits, then context exit; items/s to offset ``n``."""
    handle = await bench.start(impl.workflow)
    stream = impl.client(bench.client, handle.id)
    topic = stream.topic("events", type=Record)
    records = [record(i) for i in range(n)]
    started = time.monotonic()
    try:

        async def go() -> float:
            async with stream:
                for value in records:
                    topic.publish(value)
            return await wait_offset(stream, n, timeout)

        done = await asyncio.wait_for(go(), timeout)
    except Exception as error:
        await finish(handle)
        return None, {"burst_items_per_s": failure(error)}
    return handle, {"burst_items_per_s": n / (done - started)}


async def paced(bench: Bench, impl: Impl, n: int, timeout: float) -> tuple[Any, dict[str, Any]]:
    """``n`` publishes with ``flush()`` every 500; items/s."""
    handle = await bench.start(impl.workflow)
    stream = impl.client(bench.client, handle.id)
    topic = stream.topic("events", type=Record)
    records = [record(i) for i in range(n)]
    started = time.monotonic()
    try:

        async def go() -> float:
            async with stream:
                for i, value in enumerate(records, 1):
                    topic.publish(value)
                    if i % 500 == 0:
                        await stream.flush()
            return await wait_offset(stream, n, timeout)

        done = await asyncio.wait_for(go(), timeout)
    except Exception as error:
        await finish(handle)
        return None, {"paced_items_per_s": failure(error)}
    return handle, {"paced_items_per_s": n / (done - started)}


async def read_backlog(
    bench: Bench, impl: Impl, workflow_id: str, n: int, cooldown: timedelta | None = None
) -> float:
    """Seconds for one fresh subscriber to read ``n`` items from offset 0.

    ``cooldown`` sets ``poll_cooldown`` (both implementations take it); ``None`` keeps each
    one's default (100 ms for both, which the official also waits between backlog pages).
    """
    stream = impl.client(bench.client, workflow_id)
    options = {} if cooldown is None else {"poll_cooldown": cooldown}
    started = time.monotonic()
    got = await read(stream.subscribe("events", 0, result_type=Record, **options), n)
    if got != n:
        raise RuntimeError(f"read {got} of {n} items")
    return time.monotonic() - started


async def run(bench: Bench, impl: Impl, n: int, timeout: float) -> dict[str, Any]:
    """One repetition of scenarios 1, 2, 3 and 5 for one implementation."""
    figures: dict[str, Any] = {"items": n}
    burst_handle, got = await burst(bench, impl, n, timeout)
    figures.update(got)
    paced_handle, got = await paced(bench, impl, n, timeout)
    figures.update(got)
    # The backlog: the burst's stream when it was delivered, else the paced one.
    handle = burst_handle or paced_handle
    figures["backlog_source"] = "burst" if burst_handle else "paced" if paced_handle else "none"
    if handle is None:
        return figures
    try:
        _, bytes0 = await history(handle)
        figures["hist_publish_bytes_per_item"] = bytes0 / n
        seconds = await asyncio.wait_for(read_backlog(bench, impl, handle.id, n), timeout)
        figures["backlog_items_per_s"] = n / seconds
        # Tuned alike: no cooldown on either side.
        seconds = await asyncio.wait_for(
            read_backlog(bench, impl, handle.id, n, timedelta(0)), timeout
        )
        figures["backlog_tuned_items_per_s"] = n / seconds
        events1, bytes1 = await history(handle)
        figures["hist_1reader_bytes_per_item"] = bytes1 / n
        figures["hist_1reader_events_per_item"] = events1 / n
        await asyncio.wait_for(
            asyncio.gather(*(read_backlog(bench, impl, handle.id, n) for _ in range(2))),
            timeout,
        )
        events3, bytes3 = await history(handle)
        figures["hist_3reader_bytes_per_item"] = bytes3 / n
        figures["hist_3reader_events_per_item"] = events3 / n
    except Exception as error:
        for key in ("backlog_items_per_s", "hist_1reader_bytes_per_item"):
            figures.setdefault(key, failure(error))
        figures.setdefault("hist_3reader_bytes_per_item", failure(error))
    finally:
        for h in (burst_handle, paced_handle):
            if h is not None:
                await finish(h)
    return figures
