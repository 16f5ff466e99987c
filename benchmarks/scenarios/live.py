"""Scenarios 4 and 6: live latency with one subscriber, and fan-out to many subscribers."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from benchmarks.data import Record, record
from benchmarks.impls import Impl
from benchmarks.scenarios.common import failure, percentile, read
from benchmarks.server import Bench, event_counts, finish, history


async def _publish_paced(stream: Any, n: int, interval: float, *, force_flush: bool) -> None:
    topic = stream.topic("events", type=Record)
    start = time.monotonic()
    async with stream:
        for i in range(n):
            topic.publish(record(i), force_flush=force_flush)
            # Keep the schedule (sleep to the next slot, not a fixed gap).
            await asyncio.sleep(max(0.0, start + (i + 1) * interval - time.monotonic()))


async def _follow(
    bench: Bench, impl: Impl, workflow_id: str, n: int, cooldown: timedelta | None
) -> list[float]:
    latencies: list[float] = []
    stream = impl.client(bench.client, workflow_id)

    def on_item(item: Any) -> None:
        latencies.append(time.time() - item.data.sent_at)

    options = {} if cooldown is None else {"poll_cooldown": cooldown}
    await read(stream.subscribe("events", 0, result_type=Record, **options), n, on_item)
    return latencies


async def _cost(handle: Any, n: int, figures: dict[str, Any], prefix: str) -> None:
    events, size = await history(handle)
    counts = await event_counts(handle)
    figures[f"{prefix}_hist_bytes_per_item"] = size / n
    figures[f"{prefix}_hist_events_per_item"] = events / n
    figures[f"{prefix}_updates"] = counts["updates"]
    figures[f"{prefix}_signals"] = counts["signals"]


async def latency(
    bench: Bench,
    impl: Impl,
    n: int,
    interval: float,
    timeout: float,
    *,
    cooldown: timedelta | None = None,
    prefix: str = "live",
) -> dict[str, Any]:
    """One item per ``force_flush`` every ``interval`` s; one subscriber at the tail.

    ``cooldown``, when given, is the subscriber's ``poll_cooldown`` (both implementations
    take it); the figures' keys start with ``prefix``.
    """
    handle = await bench.start(impl.workflow)
    figures: dict[str, Any] = {"items": n}
    try:
        follower = asyncio.create_task(_follow(bench, impl, handle.id, n, cooldown))
        await asyncio.sleep(0.5)  # the subscriber reaches the (empty) tail
        publisher = impl.client(bench.client, handle.id)
        await asyncio.wait_for(_publish_paced(publisher, n, interval, force_flush=True), timeout)
        latencies = await asyncio.wait_for(follower, timeout)
        ms = [x * 1000 for x in latencies]
        figures[f"{prefix}_p50_ms"] = percentile(ms, 50)
        figures[f"{prefix}_p99_ms"] = percentile(ms, 99)
        await _cost(handle, n, figures, prefix)
    except Exception as error:
        figures[f"{prefix}_p50_ms"] = figures[f"{prefix}_p99_ms"] = failure(error)
    finally:
        await finish(handle)
    return figures


async def fan_out(
    bench: Bench,
    impl: Impl,
    subscribers: int,
    n: int,
    seconds: float,
    batch_interval: float,
    timeout: float,
    prefix: str = "fanout",
) -> dict[str, Any]:
    """``subscribers`` live followers of ``n`` items published over ``seconds``.

    Each follower has its own stream client on the bench's one Temporal client, so a
    wstream run shares one poller among them all. Figures are named ``{prefix}_...``.
    """
    handle = await bench.start(impl.workflow)
    figures: dict[str, Any] = {f"{prefix}_subscribers": subscribers, "items": n}
    followers = [
        asyncio.create_task(_follow(bench, impl, handle.id, n, None)) for _ in range(subscribers)
    ]
    try:
        await asyncio.sleep(1.0)  # every subscriber is at the tail
        publisher = impl.client(
            bench.client, handle.id, batch_interval=timedelta(seconds=batch_interval)
        )
        await asyncio.wait_for(
            _publish_paced(publisher, n, seconds / n, force_flush=False), timeout
        )
        done, pending = await asyncio.wait(followers, timeout=timeout)
        for task in pending:
            task.cancel()
        latencies: list[float] = []
        complete = 0
        errors: list[str] = []
        for task in done:
            if task.exception() is not None:
                errors.append(failure(task.exception()))  # type: ignore[arg-type]
                continue
            got = task.result()
            complete += len(got) == n
            latencies.extend(got)
        figures[f"{prefix}_complete_subscribers"] = complete
        if errors:
            figures[f"{prefix}_errors"] = sorted(set(errors))[:3]
        if pending:
            figures.setdefault(f"{prefix}_errors", []).append(
                f"{len(pending)} subscribers timed out"
            )
        if complete < subscribers:
            reason = "; ".join(figures.get(f"{prefix}_errors", [])) or "incomplete"
            figures[f"{prefix}_all_received"] = (
                f"failed: {complete}/{subscribers} complete: {reason}"
            )
        else:
            figures[f"{prefix}_all_received"] = 1.0
        if latencies:
            ms = [x * 1000 for x in latencies]
            figures[f"{prefix}_p50_ms"] = percentile(ms, 50)
            figures[f"{prefix}_p99_ms"] = percentile(ms, 99)
        await _cost(handle, n, figures, prefix)
    except Exception as error:
        figures[f"{prefix}_all_received"] = failure(error)
    finally:
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        await finish(handle)
    return figures
