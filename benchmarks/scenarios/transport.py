"""Scenario 10: what Temporal itself allows, with no stream library, to set wstream against."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHandle
from temporalio.common import RawValue

from benchmarks.data import Record, record
from benchmarks.scenarios.common import failure, percentile
from benchmarks.server import Bench, finish
from wstream import limits
from wstream.codec import ModelCodec
from wstream.wire import (
    PUBLISH_OVERHEAD,
    PollResult,
    PublishEntry,
    PublishInput,
    WireItem,
    encode_payload,
    encode_poll_result,
    encode_publish,
    entry_size,
    item_size,
)

_TOPIC = "events"


def _record_wires(n: int) -> list[str]:
    """The wire forms (base64 of the payload) of the ``n`` records a burst publishes.

    Stamped now, as a burst's are: the ceilings count items of the very sizes wstream
    sends (a fixed short time stamp would make each item ~6% lighter, the ceiling higher).
    """
    codec = ModelCodec(Record)
    return [encode_payload(codec.encode(record(i))) for i in range(n)]


async def signal_ceiling(handle: WorkflowHandle[Any, Any], n: int) -> float:
    """Items/s in pre-encoded publish batches of up to 192 KiB sent back to back as signals.

    The batches are the burst's own items, encoded before the clock starts: the same bytes,
    so the same work for the client's gRPC compression (gzip by default) and the server. A
    filler of one repeated byte would compress a thousandfold and set the ceiling too high.
    """
    wires = _record_wires(n)
    budget = limits.DEFAULT_MAX_BATCH_BYTES - PUBLISH_OVERHEAD
    blobs: list[RawValue] = []
    batch: list[PublishEntry] = []
    size = 0
    for wire in wires:
        cost = entry_size(_TOPIC, wire)
        if batch and size + cost > budget:
            blobs.append(RawValue(encode_publish(PublishInput(batch, "0" * 16, len(blobs) + 1))))
            batch, size = [], 0
        batch.append(PublishEntry(_TOPIC, wire))
        size += cost
    blobs.append(RawValue(encode_publish(PublishInput(batch, "0" * 16, len(blobs) + 1))))
    total = sum(len(blob.payload.data) for blob in blobs)
    started = time.monotonic()
    for blob in blobs:
        await handle.signal("raw_bytes", blob)
    while await handle.query("received_bytes", result_type=int) < total:
        await asyncio.sleep(0.005)
    return n / (time.monotonic() - started)


async def query_ceiling(handle: WorkflowHandle[Any, Any], n: int) -> float:
    """Items/s worth of bytes in pre-built poll answers (as large as wstream's) by query."""
    wires = _record_wires(n)
    budget = limits.MAX_POLL_RESPONSE_BYTES - 100
    items: list[WireItem] = []
    # Offsets from the middle of the stream: their digits are those of an average page.
    for offset, wire in enumerate(wires[n // 2 :] + wires[: n // 2], n // 2):
        budget -= item_size(_TOPIC, wire, offset)
        if budget < 0:
            break
        items.append(WireItem(_TOPIC, wire, offset))
    per_page = len(items)
    page = encode_poll_result(PollResult(items, items[-1].offset + 1, True, 0))
    await handle.signal("set_page", RawValue(page))
    pages = math.ceil(n / per_page)
    started = time.monotonic()
    for index in range(pages):
        got = await handle.query("read_page", index, result_type=RawValue)
        assert len(got.payload.data) == len(page.data)
    return pages * per_page / (time.monotonic() - started)


async def round_trip(handle: WorkflowHandle[Any, Any], samples: int) -> list[float]:
    """Milliseconds from a signal to the answer of an update already waiting for it."""
    times = []
    for count in range(1, samples + 1):
        # The update's own call waits for its result (as a long-poll does).
        waiting = asyncio.create_task(handle.execute_update("wait_signals", count, result_type=int))
        while await handle.query("updates_waiting", result_type=int) < 1:
            await asyncio.sleep(0.002)
        started = time.monotonic()
        await handle.signal("raw_bytes", RawValue(Payload(data=b"x")))
        await waiting
        times.append((time.monotonic() - started) * 1000)
    return times


async def run(bench: Bench, n: int, samples: int, timeout: float) -> dict[str, Any]:
    """The three ceilings, each on a fresh sink workflow of its own."""
    figures: dict[str, Any] = {}
    steps: list[tuple[str, Any]] = [
        ("limit_signal_items_per_s", lambda h: signal_ceiling(h, n)),
        ("limit_query_items_per_s", lambda h: query_ceiling(h, n)),
        ("limit_rtt_ms", lambda h: round_trip(h, samples)),
    ]
    for key, step in steps:
        handle = await bench.start("RawSink")
        try:
            value = await asyncio.wait_for(step(handle), timeout)
            if key == "limit_rtt_ms":
                figures["limit_rtt_p50_ms"] = percentile(value, 50)
                figures["limit_rtt_p99_ms"] = percentile(value, 99)
            else:
                figures[key] = value
        except Exception as error:
            figures[key] = failure(error)
        finally:
            await finish(handle)
    return figures
