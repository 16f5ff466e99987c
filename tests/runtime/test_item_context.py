"""The trace context and publish time an item carries in its payload's metadata."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest
from temporalio.api.common.v1 import Payload

from wstream.batcher import Batcher, BufferedItem
from wstream.errors import ItemTooLargeError
from wstream.item_context import (
    HEAD_RESERVE,
    PUBLISHED_AT_KEY,
    TRACEPARENT_KEY,
    TraceRuns,
    published_at_of,
    stamp_time,
    trace_run_of,
    traceparent_of,
    with_trace_run,
)
from wstream.tracing import parse_traceparent
from wstream.wire import PUBLISH_OVERHEAD, encode_payload, entry_size

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
OTHER = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01"


def json_payload(n: int = 1) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'{"n":%d}' % n)


def test_a_time_stamp_never_changes_a_callers_payload() -> None:
    payload = json_payload()
    before = time.time()
    stamped = stamp_time(payload, own=False)
    assert dict(payload.metadata) == {"encoding": b"json/plain"}
    assert stamped.data == payload.data
    at = published_at_of(stamped)
    assert at is not None and at.tzinfo is timezone.utc
    assert before - 0.002 <= at.timestamp() <= time.time()
    assert stamp_time(payload, own=True) is payload


def test_unreadable_values_read_as_absent() -> None:
    payload = json_payload()
    payload.metadata[TRACEPARENT_KEY] = b"\xff\xfe"
    payload.metadata[PUBLISHED_AT_KEY] = b"yesterday"
    assert traceparent_of(payload) is None
    assert published_at_of(payload) is None
    assert published_at_of(json_payload()) is None
    assert trace_run_of(json_payload()) == 1


def test_published_at_is_milliseconds_since_the_epoch() -> None:
    payload = json_payload()
    payload.metadata[PUBLISHED_AT_KEY] = b"1764633600000"
    assert published_at_of(payload) == datetime(2025, 12, 2, tzinfo=timezone.utc)


def test_only_a_well_formed_traceparent_becomes_a_span_context() -> None:
    context = parse_traceparent(TRACEPARENT)
    assert context is not None
    assert f"{context.trace_id:032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert f"{context.span_id:016x}" == "b7ad6b7169203331"
    assert context.is_remote
    for bad in ["", "00-xyz-b7ad6b7169203331-01", "00-" + "0" * 32 + "-b7ad6b7169203331-01"]:
        assert parse_traceparent(bad) is None


def item(topic: str, n: int, traceparent: str | None) -> BufferedItem:
    payload = json_payload(n)
    size = entry_size(topic, encode_payload(payload))
    return BufferedItem(topic, payload.SerializeToString(), size, traceparent)


def batcher(max_batch_bytes: int = 64 * 1024) -> Batcher:
    return Batcher(
        max_batch_bytes=max_batch_bytes,
        max_batch_size=None,
        max_buffer_items=1000,
        max_buffer_bytes=1 << 20,
    )


def read_back(batch: list[BufferedItem], runs: TraceRuns) -> list[tuple[str, str | None]]:
    return [(i.topic, runs.context(i.topic, Payload.FromString(i.body))) for i in batch]


def test_a_batch_writes_each_trace_run_into_its_first_item_only() -> None:
    published = [
        item("a", 0, TRACEPARENT),
        item("b", 1, TRACEPARENT),
        item("a", 2, TRACEPARENT),
        item("a", 3, None),
        item("a", 4, OTHER),
        item("b", 5, TRACEPARENT),
        item("a", 6, OTHER),
    ]
    buffer = batcher()
    for each in published:
        buffer.add(each)
    batch = buffer.take_batch()
    # Runs per topic: a[0, 2] a[4, 6] b[1, 5]; the others carry nothing more than before.
    heads = {0: 2, 1: 2, 4: 2}
    for index, (sent, original) in enumerate(zip(batch, published, strict=True)):
        payload = Payload.FromString(sent.body)
        if index in heads:
            assert traceparent_of(payload) == original.traceparent
            assert trace_run_of(payload) == heads[index]
            assert sent.size > original.size
            assert sent.size - original.size <= HEAD_RESERVE
            assert sent.size == entry_size(sent.topic, encode_payload(payload))
        else:
            assert sent == original
    # A reader from the batch's start gives every item its own context, exactly.
    assert read_back(batch, TraceRuns()) == [(i.topic, i.traceparent) for i in published]


def test_a_reader_starting_inside_a_run_sees_no_context_rather_than_a_wrong_one() -> None:
    buffer = batcher()
    for n in range(4):
        buffer.add(item("a", n, TRACEPARENT))
    first_batch = buffer.take_batch()
    for n in range(2):
        buffer.add(item("a", 10 + n, OTHER))
    second_batch = buffer.take_batch()
    runs = TraceRuns()
    got = read_back(first_batch[2:] + second_batch, runs)
    assert got == [("a", None), ("a", None), ("a", OTHER), ("a", OTHER)]
    runs = TraceRuns()
    read_back(first_batch[:1], runs)
    runs.forget()  # the reader skipped ahead
    assert read_back(first_batch[1:2], runs) == [("a", None)]


def test_the_byte_budget_keeps_room_for_the_runs_first_items() -> None:
    one = item("a", 0, TRACEPARENT)
    budget = PUBLISH_OVERHEAD + 2 * one.size + HEAD_RESERVE
    buffer = batcher(budget)
    for n in range(3):
        buffer.add(item("a", n, TRACEPARENT))
    batch = buffer.take_batch()
    assert len(batch) == 2
    assert PUBLISH_OVERHEAD + sum(i.size for i in batch) <= budget
    # An item that could not fit once it carried its context is refused at publish.
    room = budget - PUBLISH_OVERHEAD - HEAD_RESERVE
    # The smallest body (a whole number of base64 quanta) whose entry is over that room.
    big = b"x" * 3 * next(k for k in range(1 << 20) if entry_size("a", "x" * 4 * k) > room)
    with pytest.raises(ItemTooLargeError):
        buffer.check("a", big, TRACEPARENT)
    assert buffer.check("a", big, None).size <= budget - PUBLISH_OVERHEAD


def test_with_trace_run_writes_the_context_and_length() -> None:
    payload = Payload.FromString(with_trace_run(json_payload().SerializeToString(), TRACEPARENT, 5))
    assert traceparent_of(payload) == TRACEPARENT
    assert trace_run_of(payload) == 5
    assert payload.data == json_payload().data
    single = Payload.FromString(with_trace_run(json_payload().SerializeToString(), TRACEPARENT, 1))
    assert trace_run_of(single) == 1 and "wstream-trace-run" not in single.metadata
