"""Binary poll pages alone, without a server: round trips, bounds, odd items, malformed pages."""

from __future__ import annotations

import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from wstream.raw_pages import (
    RAW_PAGE_ENCODING,
    RawItem,
    is_raw_page,
    parse_raw_page,
    raw_page,
)
from wstream.wire import (
    MalformedInput,
    PageItem,
    encode_payload,
    packed_page,
    parse_poll_result,
    unplaced_item_size,
)

HOSTILE_TOPICS = ['"\\"\\', 'quo"te\u00e9', "tab\tnew\nline\x00", "\U0001f600 ünï", "", "\udc80"]
#: Wire forms that are not canonical base64 (wrong padding, stray bits, line breaks, JSON
#: escapes, non-ASCII, a lone surrogate): they must come back as the very same text.
ODD_WIRE_FORMS = ["A", "QUJ=", "QUI", "QU\nI=", 'x"y\\', "é", "\ud800", " QUI=", "QUI=QUI="]
CONVERTER = DataConverter.default.payload_converter

wire_forms = st.one_of(
    st.binary(max_size=60).map(lambda raw: encode_payload(Payload(data=raw))),
    st.sampled_from(ODD_WIRE_FORMS),
    st.text(max_size=12),
)


def _rows(items: list[PageItem]) -> list[tuple[str, str, int]]:
    return [(item.topic, item.data, item.offset) for item in items]


def _page(data: list[str], *, limit: int = 500_000, level: int = 6, **bounds: int) -> Payload:
    return raw_page(
        ["events"] * len(data),
        data,
        base_offset=bounds.get("base_offset", 0),
        from_offset=bounds.get("from_offset", 0),
        wanted=None,
        limit=limit,
        source_limit=bounds.get("source_limit", 10**8),
        level=level,
    )


@settings(max_examples=150, deadline=None)
@given(
    items=st.lists(
        st.tuples(st.one_of(st.sampled_from(HOSTILE_TOPICS), st.text(max_size=6)), wire_forms),
        max_size=60,
    ),
    base=st.sampled_from([0, 7, 99_999, 10**12]),
    start=st.integers(0, 65),
    wanted=st.one_of(st.none(), st.sets(st.sampled_from(HOSTILE_TOPICS), max_size=3)),
    limit=st.integers(120, 2_000),
    source_limit=st.integers(20, 5_000),
)
def test_binary_pages_stay_within_their_bounds_and_read_back_every_item_once(
    items: list[tuple[str, str]],
    base: int,
    start: int,
    wanted: set[str] | None,
    limit: int,
    source_limit: int,
) -> None:
    names, data = [t for t, _ in items], [d for _, d in items]
    expected = [
        (t, d, base + i)
        for i, (t, d) in enumerate(items)
        if i >= start and (wanted is None or t in wanted)
    ]
    read: list[tuple[str, str, int]] = []
    offset = base + start
    while True:
        payload = raw_page(
            names,
            data,
            base_offset=base,
            from_offset=offset,
            wanted=wanted,
            limit=limit,
            source_limit=source_limit,
            level=6,
        )
        assert is_raw_page(payload)
        answer = parse_raw_page(payload.data)
        assert answer.base_offset == base and answer.end_offset == base + len(items)
        assert len(payload.data) <= limit or len(answer.items) == 1
        read.extend(_rows(list(answer.items)))
        if not answer.more_ready:
            assert answer.next_offset == base + len(items)
            break
        # Every page but the last carries at least one item and moves on.
        assert answer.items and answer.next_offset > answer.items[-1].offset
        offset = answer.next_offset
    assert read == expected


def test_items_come_back_as_their_payloads_and_odd_wire_forms_as_their_text() -> None:
    payloads = [CONVERTER.to_payloads([{"n": n, "pad": "x" * n}])[0] for n in range(5)]
    data = [encode_payload(p) for p in payloads] + ODD_WIRE_FORMS
    answer = parse_raw_page(_page(data).data)
    assert [item.data for item in answer.items] == data
    assert [item.offset for item in answer.items] == list(range(len(data)))
    raw_items = answer.items[: len(payloads)]
    assert all(isinstance(item, RawItem) for item in raw_items)
    assert [item.payload() for item in raw_items] == payloads
    # An odd form reads as a JSON page would give it: its own text, failing where it fails.
    assert not any(isinstance(item, RawItem) for item in answer.items[len(payloads) :])
    with pytest.raises(ValueError):
        answer.items[len(payloads)].payload()


def _records(count: int) -> list[str]:
    """Wire forms of ~150-byte JSON records like the benchmark's."""
    return [
        encode_payload(
            CONVERTER.to_payloads(
                [{"id": i, "kind": "progress", "step": i % 97, "note": f"item {i} of the run"}]
            )[0]
        )
        for i in range(count)
    ]


def test_a_binary_page_holds_far_more_records_than_a_json_page_in_the_same_bound() -> None:
    data = _records(20_000)
    binary = parse_raw_page(_page(data, limit=50_000).data)
    json_page = packed_page(
        ["events"] * len(data),
        data,
        [unplaced_item_size("events", d) for d in data],
        base_offset=0,
        from_offset=0,
        wanted=None,
        limit=50_000,
        source_limit=10**8,
        level=6,
    )
    in_json = parse_poll_result(json_page.data).items
    assert binary.more_ready and len(binary.items) > 1.5 * len(in_json)
    assert (
        _rows(list(binary.items))
        == _rows(list(in_json))
        + [("events", d, i) for i, d in enumerate(data)][len(in_json) : len(binary.items)]
    )


def test_the_source_bound_cuts_a_page_at_an_item() -> None:
    data = _records(1_000)
    answer = parse_raw_page(_page(data, source_limit=10_000, from_offset=3).data)
    assert answer.more_ready and answer.items[0].offset == 3
    raw_bytes = sum(len(item.payload().SerializeToString()) for item in answer.items)
    assert 9_000 < raw_bytes <= 10_000
    assert answer.next_offset == answer.items[-1].offset + 1


def _with_items(stream: bytes) -> bytes:
    head = {"next_offset": 1, "more_ready": False, "base_offset": 0, "end_offset": 1}
    return json.dumps(head).encode() + b"\n" + zlib.compress(stream)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"next_offset": 0}', "no newline after its head"),
        (b'{"next_offset": "x"}\n' + zlib.compress(b""), "'next_offset' must be an integer"),
        (b'{"next_offset": 0}\nnot zlib', "do not unpack"),
        (b'{"next_offset": 0}\n' + zlib.compress(b"\x00\x01a\x00\x04QU")[:-6], "end before"),
        (_with_items(b"\x00\x01a\x00\x08QU"), "cut short"),
        (_with_items(b"\x00\x01a\x00"), "cut short"),
        (_with_items(b"\x03\x00\x02QU"), "names unknown topic 3"),
        (_with_items(b"\x00\x01a" + b"\xff" * 10 + b"\x01"), "longer than 64 bits"),
        (_with_items(b"\x00\x02\xff\xfe\x00\x00"), "not UTF-8"),
    ],
)
def test_a_malformed_page_is_refused_saying_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        parse_raw_page(data)


def test_only_a_binary_page_is_taken_for_one() -> None:
    assert is_raw_page(Payload(metadata={"encoding": RAW_PAGE_ENCODING}))
    assert not is_raw_page(Payload(metadata={"encoding": b"json/plain"}, data=b"{}"))
