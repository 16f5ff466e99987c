"""The bounded buffer and its byte-bounded batches: the size model, then the real signals."""

from __future__ import annotations

import base64
import itertools
import json
import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.helpers import collect, start_host
from tests.runtime.stream_workflows import HostWorkflow
from wstream import WorkflowStreamClient
from wstream.batcher import Batcher
from wstream.errors import BufferFullError, ItemTooLargeError
from wstream.wire import PUBLISH_OVERHEAD, PUBLISH_SIGNAL, entry_size

#: Digits of the widest sequence number a batch must leave room for (an int64).
WIDEST_SEQUENCE = 19
#: Topics whose JSON form is longer than the topic plus its quotes.
HOSTILE_TOPICS = ['"\\"\\', 'quo"te\u00e9', "tab\tnew\nline\x00", "\U0001f600 ünï"]


def wire_bytes(items: list[tuple[str, str]], sequence: int) -> int:
    """Bytes of a publish signal's argument as the wire format defines it (compact JSON)."""
    body = {
        "items": [{"topic": topic, "data": data} for topic, data in items],
        "publisher_id": "0123456789abcdef",
        "sequence": sequence,
    }
    return len(json.dumps(body, separators=(",", ":")).encode())


def wire(body: bytes) -> str:
    """An item's wire form: the base64 of its serialized payload."""
    return base64.b64encode(body).decode("ascii")


def make(**overrides: int | None) -> Batcher:
    options: dict[str, int | None] = {
        "max_batch_bytes": 1_000,
        "max_batch_size": None,
        "max_buffer_items": 100,
        "max_buffer_bytes": 10_000,
    }
    options.update(overrides)
    return Batcher(**options)  # type: ignore[arg-type]


def test_batches_never_exceed_the_byte_budget_and_keep_order() -> None:
    batcher = make()
    for i in range(40):
        batcher.add(batcher.check("t", f"{i:03d}".encode() + b"d" * 97))
    batches = []
    while batch := batcher.take_batch():
        assert PUBLISH_OVERHEAD + sum(item.size for item in batch) <= 1_000
        batches.append(batch)
    flat = [item.body[:3] for batch in batches for item in batch]
    assert flat == [f"{i:03d}".encode() for i in range(40)]
    assert len(batches) > 1
    assert batcher.buffered_bytes == 0


def test_item_count_bound_per_batch() -> None:
    batcher = make(max_batch_size=3)
    for _ in range(7):
        batcher.add(batcher.check("t", b"x"))
    assert [len(batcher.take_batch()) for _ in range(4)] == [3, 3, 1, 0]


def test_oversized_item_is_refused_naming_topic_and_size() -> None:
    batcher = make()
    size = entry_size("big", wire(b"x" * 1_000))
    with pytest.raises(ItemTooLargeError, match=re.escape(f"topic 'big' is {size:,} bytes")):
        batcher.check("big", b"x" * 1_000)


def test_buffer_bounds_by_items_and_bytes() -> None:
    by_items = make(max_buffer_items=2)
    by_items.add(by_items.check("t", b"a"))
    by_items.add(by_items.check("t", b"b"))
    with pytest.raises(BufferFullError, match="2 items"):
        by_items.add(by_items.check("t", b"c"))
    by_bytes = make(max_buffer_bytes=300)
    item = by_bytes.check("t", b"z" * 200)
    by_bytes.add(item)
    assert not by_bytes.has_room(item)
    with pytest.raises(BufferFullError, match="max_buffer_bytes=300"):
        by_bytes.add(item)
    assert by_bytes.accepted_total == 1


def test_wire_size_counts_json_escaping_of_topics() -> None:
    # An item's size is what it adds to a batch: its JSON object and the comma before it.
    for topic in [*HOSTILE_TOPICS, "plain", ""]:
        one = wire_bytes([(topic, "QUJD")], 1)
        two = wire_bytes([(topic, "QUJD"), (topic, "QUJD")], 1)
        assert entry_size(topic, "QUJD") == two - one, topic
    # The topic "\"\ is 4 characters and 10 bytes of JSON: "\"\\\"\\".
    assert entry_size('"\\"\\', "") == 31


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(
        st.tuples(st.text(max_size=12), st.binary(max_size=120)),
        min_size=1,
        max_size=60,
    ),
    limit=st.integers(300, 1_500),
    sequence=st.sampled_from([1, 9, 10, 12_345, 10**WIDEST_SEQUENCE - 1]),
)
def test_every_batch_fits_its_wire_form_and_is_cut_only_when_the_next_item_would_not(
    items: list[tuple[str, bytes]], limit: int, sequence: int
) -> None:
    batcher = make(max_batch_bytes=limit, max_buffer_items=1_000, max_buffer_bytes=10**6)
    for topic, body in items:
        try:
            batcher.add(batcher.check(topic, body))
        except ItemTooLargeError:
            # Refused only when the item alone, at the widest sequence, would not fit.
            assert wire_bytes([(topic, wire(body))], 10**WIDEST_SEQUENCE - 1) > limit
    batches: list[list[tuple[str, str]]] = []
    while batch := batcher.take_batch():
        pairs = [(item.topic, wire(item.body)) for item in batch]
        # The model is exact: at the widest sequence, the batch is its size to the byte.
        widest = PUBLISH_OVERHEAD + sum(item.size for item in batch)
        assert wire_bytes(pairs, 10**WIDEST_SEQUENCE - 1) == widest
        assert wire_bytes(pairs, sequence) <= limit
        batches.append(pairs)
    for pairs, following in itertools.pairwise(batches):
        # A batch is cut only when its next item would not have fit.
        assert wire_bytes([*pairs, following[0]], 10**WIDEST_SEQUENCE - 1) > limit
    widest = 10**WIDEST_SEQUENCE - 1
    accepted = [(t, wire(b)) for t, b in items if wire_bytes([(t, wire(b))], widest) <= limit]
    assert [pair for pairs in batches for pair in pairs] == accepted


async def test_the_signals_sent_stay_within_max_batch_bytes_and_are_full(
    client: Client, worker: Worker, task_queue: str
) -> None:
    limit = 2_000
    handle = await start_host(client, task_queue)
    stream = WorkflowStreamClient.create(
        client, handle.id, max_batch_bytes=limit, batch_interval=timedelta(hours=1)
    )
    # Mostly the topic whose JSON form outgrows it most, so an under-count adds up.
    published = [
        (HOSTILE_TOPICS[0] if i % 3 else HOSTILE_TOPICS[i % len(HOSTILE_TOPICS)], i)
        for i in range(150)
    ]
    for topic, value in published:
        stream.topic(topic).publish(value)
    await stream.flush()
    received = await collect(stream.subscribe(), len(published))
    assert [(item.topic, item.data) for item in received] == published

    # What reached the server: the argument of every publish signal in the run's history
    # (all applied by now, so none is still held back behind a workflow task).
    history = await handle.fetch_history()
    sent = [
        attributes.input.payloads[0].data
        for event in history.events
        if event.HasField("workflow_execution_signaled_event_attributes")
        and (attributes := event.workflow_execution_signaled_event_attributes).signal_name
        == PUBLISH_SIGNAL
    ]
    assert len(sent) >= 3
    bodies = [json.loads(data) for data in sent]
    assert [b["sequence"] for b in bodies] == list(range(1, len(sent) + 1))
    for data, body, following in zip(sent, bodies, bodies[1:], strict=False):
        assert len(data) <= limit, (len(data), body["sequence"])
        # Cut only when the next item would not fit beside a sequence at its widest.
        room_kept = WIDEST_SEQUENCE - len(str(body["sequence"]))
        next_item = json.dumps(following["items"][0], separators=(",", ":"))
        assert len(data) + len(",") + len(next_item) + room_kept > limit, len(data)
    assert len(sent[-1]) <= limit
    await handle.signal(HostWorkflow.finish_now)
