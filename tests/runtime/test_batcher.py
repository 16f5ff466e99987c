"""The bounded buffer and its byte-bounded batches, without a server."""

from __future__ import annotations

import pytest

from wstream.batcher import ENVELOPE_OVERHEAD, Batcher, item_wire_size
from wstream.errors import BufferFullError, ItemTooLargeError


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
        batcher.add(batcher.check("t", f"{i:03d}" + "d" * 97))
    batches = []
    while batch := batcher.take_batch():
        assert ENVELOPE_OVERHEAD + sum(item.size for item in batch) <= 1_000
        batches.append(batch)
    flat = [item.data[:3] for batch in batches for item in batch]
    assert flat == [f"{i:03d}" for i in range(40)]
    assert len(batches) > 1
    assert batcher.buffered_bytes == 0


def test_item_count_bound_per_batch() -> None:
    batcher = make(max_batch_size=3)
    for _ in range(7):
        batcher.add(batcher.check("t", "x"))
    assert [len(batcher.take_batch()) for _ in range(4)] == [3, 3, 1, 0]


def test_oversized_item_is_refused_naming_topic_and_size() -> None:
    batcher = make()
    with pytest.raises(ItemTooLargeError, match=r"topic 'big' is 1,02\d bytes"):
        batcher.check("big", "x" * 1_000)


def test_buffer_bounds_by_items_and_bytes() -> None:
    by_items = make(max_buffer_items=2)
    by_items.add(by_items.check("t", "a"))
    by_items.add(by_items.check("t", "b"))
    with pytest.raises(BufferFullError, match="2 items"):
        by_items.add(by_items.check("t", "c"))
    by_bytes = make(max_buffer_bytes=300)
    item = by_bytes.check("t", "z" * 200)
    by_bytes.add(item)
    assert not by_bytes.has_room(item)
    with pytest.raises(BufferFullError, match="max_buffer_bytes=300"):
        by_bytes.add(item)
    assert by_bytes.accepted_total == 1


def test_wire_size_counts_json_escaping_of_topics() -> None:
    assert item_wire_size("plain", "abc") < item_wire_size('quo"te\u00e9', "abc") + 10
    assert item_wire_size("\u00e9", "") == len('"\\u00e9"') + 22
