"""The protocol module alone, without a server: round trips, malformed input, exact sizes."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from wstream.wire import (
    ITEM_OVERHEAD,
    PUBLISH_OVERHEAD,
    MalformedInput,
    PollInput,
    PollResult,
    PublishEntry,
    PublishInput,
    SealedSegment,
    WireItem,
    WorkflowStreamState,
    body_entry_size,
    decode_payload,
    encode_payload,
    encode_poll,
    encode_poll_result,
    encode_publish,
    encode_publish_bodies,
    entry_size,
    item_size,
    json_plain_body,
    json_string_size,
    packed_page,
    page,
    parse_poll,
    parse_poll_result,
    parse_publish,
    parse_publish_columns,
    plain_json_strings,
    unplaced_item_size,
)

#: Topics whose JSON form is longer than the topic plus its quotes.
HOSTILE_TOPICS = ['"\\"\\', 'quo"te\u00e9', "tab\tnew\nline\x00", "\U0001f600 ünï", ""]
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh0123456789+/="
JSON_PLAIN = {"encoding": b"json/plain"}
CONVERTER = DataConverter.default.payload_converter

topics = st.one_of(st.sampled_from(HOSTILE_TOPICS), st.text(max_size=10))
wire_data = st.text(BASE64, max_size=40)


# -- round trips -------------------------------------------------------------------------------


def test_an_item_payload_survives_its_wire_form() -> None:
    payload = Payload(metadata={"encoding": b"binary/plain", "x": b"\x00\xff"}, data=b"\x01\x02")
    assert decode_payload(encode_payload(payload)) == payload


@given(
    entries=st.lists(st.tuples(topics, wire_data), max_size=8),
    publisher=st.text("0123456789abcdef", min_size=16, max_size=16),
    sequence=st.integers(1, 2**63 - 1),
)
def test_publish_batches_round_trip(
    entries: list[tuple[str, str]], publisher: str, sequence: int
) -> None:
    batch = PublishInput([PublishEntry(t, d) for t, d in entries], publisher, sequence)
    payload = encode_publish(batch)
    assert payload.metadata["encoding"] == b"json/plain"
    assert parse_publish(payload.data) == batch


@given(
    bodies=st.lists(st.tuples(topics, st.binary(max_size=40)), max_size=8),
    publisher=st.text("0123456789abcdef", min_size=16, max_size=16),
    sequence=st.integers(1, 2**63 - 1),
)
def test_a_batch_written_from_serialized_payloads_is_the_batch_encoded_whole(
    bodies: list[tuple[str, bytes]], publisher: str, sequence: int
) -> None:
    entries = [(topic, base64.b64encode(body).decode()) for topic, body in bodies]
    whole = encode_publish(
        PublishInput([PublishEntry(t, d) for t, d in entries], publisher, sequence)
    )
    written = encode_publish_bodies(bodies, publisher, sequence)
    assert written == whole
    for topic, body in bodies:
        sized = body_entry_size(json_string_size(topic), len(body))
        assert sized == entry_size(topic, base64.b64encode(body).decode())
    columns = parse_publish_columns(written.data)
    assert list(zip(columns.topics, columns.data, strict=True)) == entries
    assert (columns.publisher_id, columns.sequence) == (publisher, sequence)


@given(
    names=st.lists(topics, max_size=4),
    offset=st.integers(0, 10**12),
    notify=st.booleans(),
    follow=st.booleans(),
    compress=st.booleans(),
)
def test_poll_requests_round_trip_as_the_converter_writes_them(
    names: list[str], offset: int, notify: bool, follow: bool, compress: bool
) -> None:
    request = PollInput(names, offset, notify, follow, compress)
    payload = encode_poll(request)
    assert parse_poll(payload.data) == request
    # Sent raw, the request is still byte for byte what the converter makes of the dataclass
    # (what an official client, or wstream before, sends).
    assert payload.data == CONVERTER.to_payloads([request])[0].data


def test_poll_answers_round_trip_with_and_without_the_wstream_extensions() -> None:
    segment = SealedSegment("run-1", 0, 40)
    answers = [
        PollResult([WireItem("a", "QQ==", 7), WireItem('q"', "", 8)], 9, False, 7),
        PollResult([], 41, True, 41, segment, [segment, SealedSegment("run-2", 40, 41)]),
        PollResult([], 0, False, None),
    ]
    for answer in answers:
        assert parse_poll_result(encode_poll_result(answer).data) == answer
    plain = json.loads(encode_poll_result(answers[0]).data)
    assert list(plain) == ["items", "next_offset", "more_ready", "base_offset"]
    # An official workflow's answer: no base_offset, no wstream keys.
    theirs = (
        b'{"items":[{"topic":"t","data":"QQ==","offset":3}],"next_offset":4,"more_ready":false}'
    )
    assert parse_poll_result(theirs) == PollResult([WireItem("t", "QQ==", 3)], 4, False, None)


# -- malformed input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not json", "publish batch is not JSON"),
        (b"[1]", "publish batch must be a JSON object, got list"),
        (b'{"items":{},"publisher_id":"p"}', "needs a list 'items' and a string 'publisher_id'"),
        (b'{"items":[],"publisher_id":7}', "needs a list 'items' and a string 'publisher_id'"),
        (b'{"items":[],"sequence":"1"}', "'sequence' must be an integer, got '1'"),
        (b'{"items":[{"topic":"t"}]}', "item 0 needs string 'topic' and 'data'"),
        (b'{"items":[{"topic":"t","data":"x"},3]}', "item 1 needs string 'topic' and 'data'"),
    ],
)
def test_malformed_publish_batches_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        parse_publish(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xff", "poll request is not JSON"),
        (b'"x"', "poll request must be a JSON object, got str"),
        (b'{"topics":"t"}', "'topics' must be a list of strings, got 't'"),
        (b'{"topics":[1]}', r"'topics' must be a list of strings, got \[1\]"),
        (b'{"from_offset":-1}', "'from_offset' must be a non-negative integer, got -1"),
        (b'{"from_offset":1.5}', "'from_offset' must be a non-negative integer, got 1.5"),
    ],
)
def test_malformed_poll_requests_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        parse_poll(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{", "poll answer is not JSON"),
        (b"[]", "poll answer must be a JSON object, got list"),
        (b'{"items":{}}', "poll answer 'items' must be a list"),
        (b'{"items":[{"topic":"t","data":1,"offset":0}]}', "item 0 needs string 'topic'"),
        (b'{"items":[{"topic":"t","data":"x"}]}', "item 0 'offset' must be an integer, got None"),
        (b'{"items":[{"topic":"t","data":"x","offset":true}]}', "'offset' must be an integer"),
        (b'{"next_offset":"3"}', "poll answer 'next_offset' must be an integer, got '3'"),
        (b'{"base_offset":[]}', "poll answer 'base_offset' must be an integer"),
        (b'{"sealed":{"first_offset":0}}', "sealed segment must be an object with a 'run_id'"),
        (b'{"sealed":{"run_id":"r","first_offset":0}}', "'end_offset' must be an integer"),
        (b'{"segments":{}}', "poll answer 'segments' must be a list"),
    ],
)
def test_malformed_poll_answers_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        parse_poll_result(data)


# -- the size model ----------------------------------------------------------------------------


def test_entry_and_item_sizes_count_escaping_and_offsets() -> None:
    # The topic "\"\ is 4 characters and 10 bytes of JSON: "\"\\\"\\".
    assert entry_size('"\\"\\', "") == 10 + 2 + len('{"topic":,"data":},')
    assert item_size("t", "QQ==", 12345) == 3 + 6 + 5 + ITEM_OVERHEAD
    for topic in HOSTILE_TOPICS:
        one = encode_publish(PublishInput([PublishEntry(topic, "QUJD")], "0" * 16, 1)).data
        two = encode_publish(PublishInput([PublishEntry(topic, "QUJD")] * 2, "0" * 16, 1)).data
        assert entry_size(topic, "QUJD") == len(two) - len(one), topic


@given(
    entries=st.lists(
        st.tuples(topics, st.one_of(wire_data, st.text(max_size=8))), min_size=1, max_size=8
    )
)
def test_a_batch_with_no_escapes_measures_every_string_as_itself(
    entries: list[tuple[str, str]],
) -> None:
    document = encode_publish(PublishInput([PublishEntry(t, d) for t, d in entries])).data
    plain = all(json_string_size(text) == len(text) + 2 for entry in entries for text in entry)
    # The one-scan shortcut the workflow takes may miss a plain batch, never pass an escaped one.
    assert not plain_json_strings(document) or plain
    if all(t.isalnum() and t.isascii() for t, _ in entries) and all(
        set(d) <= set(BASE64) for _, d in entries
    ):
        assert plain_json_strings(document)


@given(entries=st.lists(st.tuples(topics, wire_data), max_size=8))
def test_a_publish_batch_is_its_modelled_size_at_the_widest_sequence(
    entries: list[tuple[str, str]],
) -> None:
    batch = PublishInput([PublishEntry(t, d) for t, d in entries], "0" * 16, 10**19 - 1)
    modelled = PUBLISH_OVERHEAD + sum(entry_size(t, d) for t, d in entries)
    assert len(encode_publish(batch).data) == modelled + (1 if not entries else 0)


@given(items=st.lists(st.tuples(topics, wire_data), max_size=8), base=st.integers(0, 10**9))
def test_the_state_carries_retained_items_at_their_modelled_size(
    items: list[tuple[str, str]], base: int
) -> None:
    log = [WireItem(t, d, base + i) for i, (t, d) in enumerate(items)]
    with_log = CONVERTER.to_payloads([WorkflowStreamState(log=log, base_offset=base)])[0].data
    without = CONVERTER.to_payloads([WorkflowStreamState(log=[], base_offset=base)])[0].data
    modelled = sum(item_size(item.topic, item.data, item.offset) for item in log)
    assert len(with_log) - len(without) == max(0, modelled - 1)  # the last item has no comma


@settings(max_examples=300, deadline=None)
@given(
    items=st.lists(st.tuples(topics, wire_data), min_size=1, max_size=40),
    base=st.sampled_from([0, 7, 99_999, 10**12]),
    start=st.integers(0, 45),
    wanted=st.one_of(st.none(), st.sets(topics, max_size=3)),
    # From 120 bytes: an empty answer with three 13-digit offsets takes 114.
    limit=st.integers(120, 900),
)
def test_a_page_fits_its_limit_and_is_cut_only_where_the_next_item_would_not(
    items: list[tuple[str, str]], base: int, start: int, wanted: set[str] | None, limit: int
) -> None:
    names, data = [t for t, _ in items], [d for _, d in items]
    answer = page(
        names, data, base_offset=base, from_offset=base + start, wanted=wanted, limit=limit
    )
    encoded = len(encode_poll_result(answer).data)
    end = base + len(items)
    expected = [
        WireItem(t, d, base + i)
        for i, (t, d) in enumerate(items)
        if i >= start and (wanted is None or t in wanted)
    ]
    # Pages in order, with nothing lost between them: the answer is a prefix of what is asked.
    assert answer.items == expected[: len(answer.items)]
    assert answer.base_offset == base
    if not answer.more_ready:
        assert answer.items == expected and answer.next_offset == end
        assert encoded <= limit or len(answer.items) == 1
        return
    following = expected[len(answer.items)]
    assert answer.next_offset == following.offset
    assert encoded <= limit or len(answer.items) == 1
    # Cut only because the next item would not fit: with it (and the widest offsets), the
    # answer would pass the limit.
    widest = PollResult([*answer.items, following], end, False, base, end_offset=end)
    assert len(encode_poll_result(widest).data) > limit


def test_an_uncut_page_is_its_modelled_size_exactly() -> None:
    names, data = ["a", 'q"', "\u00e9"], ["QQ==", "", "QUJD"]
    answer = page(names, data, base_offset=98, from_offset=0, wanted=None, limit=10**6)
    overhead = (
        len('{"items":[],"next_offset":101,"more_ready":false,"base_offset":98,"end_offset":101}')
        - 1
    )
    modelled = overhead + sum(
        item_size(t, d, 98 + i) for i, (t, d) in enumerate(zip(names, data, strict=True))
    )
    assert len(encode_poll_result(answer).data) == modelled
    # At exactly that limit everything fits; one byte less cuts the last item.
    assert not page(
        names, data, base_offset=98, from_offset=0, wanted=None, limit=modelled
    ).more_ready
    cut = page(names, data, base_offset=98, from_offset=0, wanted=None, limit=modelled - 1)
    assert cut.more_ready and cut.next_offset == 100 and len(cut.items) == 2


#: Wire forms with characters JSON escapes, besides base64 ones.
escaped_data = st.one_of(wire_data, st.text(max_size=30), st.text(BASE64, min_size=500))


@settings(max_examples=200, deadline=None)
@given(
    items=st.lists(st.tuples(topics, escaped_data), min_size=1, max_size=40),
    base=st.sampled_from([0, 7, 99_999, 10**12]),
    start=st.integers(0, 45),
    wanted=st.one_of(st.none(), st.sets(topics, max_size=3)),
    limit=st.integers(150, 3_000),
    source_limit=st.integers(50, 20_000),
)
def test_packed_pages_stay_within_their_bounds_and_read_back_every_item_once(
    items: list[tuple[str, str]],
    base: int,
    start: int,
    wanted: set[str] | None,
    limit: int,
    source_limit: int,
) -> None:
    names, data = [t for t, _ in items], [d for _, d in items]
    sizes = [unplaced_item_size(t, d) for t, d in items]
    expected = [
        WireItem(t, d, base + i)
        for i, (t, d) in enumerate(items)
        if i >= start and (wanted is None or t in wanted)
    ]
    read: list[WireItem] = []
    offset = base + start
    while True:
        packed = packed_page(
            names,
            data,
            sizes,
            base_offset=base,
            from_offset=offset,
            wanted=wanted,
            limit=limit,
            source_limit=source_limit,
        )
        answer = parse_poll_result(packed.data)
        assert answer.base_offset == base
        assert len(packed.data) <= limit or len(answer.items) == 1
        read.extend(answer.items)
        if not answer.more_ready:
            assert answer.next_offset == base + len(items)
            break
        # Every page but the last carries at least one item and moves on.
        assert answer.items and answer.next_offset > answer.items[-1].offset
        offset = answer.next_offset
    assert read == expected


def _hex_items_page(level: int = 1) -> tuple[Payload, list[str]]:
    """A page of 20,000 small hex items packed to a 50 KB bound, and the items."""
    data = [f"{i:08d}".encode().hex() * 12 for i in range(20_000)]
    names = ["events"] * len(data)
    sizes = [unplaced_item_size("events", d) for d in data]
    packed = packed_page(
        names,
        data,
        sizes,
        base_offset=0,
        from_offset=0,
        wanted=None,
        limit=50_000,
        source_limit=10**8,
        level=level,
    )
    return packed, data


def test_a_packed_page_fills_its_bound() -> None:
    packed, _ = _hex_items_page()
    answer = parse_poll_result(packed.data)
    assert answer.more_ready and answer.next_offset == len(answer.items)
    # Cut at an item, not at a chunk of them: within a few items' packed bytes of the bound.
    assert 49_000 < len(packed.data) <= 50_000


def test_a_harder_packed_page_holds_more_items_in_the_same_bound() -> None:
    fast, data = _hex_items_page(level=1)
    hard, _ = _hex_items_page(level=9)
    fast_items = parse_poll_result(fast.data).items
    hard_items = parse_poll_result(hard.data).items
    assert len(hard.data) <= 50_000
    assert len(hard_items) > len(fast_items)
    assert hard_items == [WireItem("events", d, i) for i, d in enumerate(data)][: len(hard_items)]


def test_compressed_answers_round_trip_and_bad_packing_is_named() -> None:
    items = [WireItem("t", "QUJD" * 50, offset) for offset in range(500)]
    answer = PollResult(items, 500, False, 0)
    packed = encode_poll_result(answer, compress=True)
    assert len(packed.data) < len(encode_poll_result(answer).data) // 10
    assert parse_poll_result(packed.data) == answer
    for broken, message in [
        (b'{"items":[],"items_zlib":7}', "must be a string"),
        (b'{"items":[],"items_zlib":"bm90IHpsaWI="}', "does not unpack"),
    ]:
        with pytest.raises(MalformedInput, match=message):
            parse_poll_result(broken)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300) | st.binary(min_size=16_370, max_size=16_400))
def test_a_json_body_is_the_serialized_json_payload(data: bytes) -> None:
    """The publish path writes json/plain payloads' bytes with no message: the same bytes."""
    assert json_plain_body(data) == Payload(metadata=JSON_PLAIN, data=data).SerializeToString()
