"""The trace context and publish time an item carries in its payload's metadata."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from temporalio.api.common.v1 import Payload

from wstream.item_context import (
    PUBLISHED_AT_KEY,
    TRACEPARENT_KEY,
    published_at_of,
    stamp,
    traceparent_of,
)
from wstream.tracing import parse_traceparent

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def json_payload() -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=b'{"n":1}')


def test_nothing_to_add_returns_the_payload_itself() -> None:
    payload = json_payload()
    assert stamp(payload, None, False, own=False) is payload


def test_a_stamp_copies_and_never_changes_the_callers_payload() -> None:
    payload = json_payload()
    before = time.time()
    stamped = stamp(payload, TRACEPARENT, True, own=False)
    assert dict(payload.metadata) == {"encoding": b"json/plain"}
    assert stamped.data == payload.data
    assert stamped.metadata["encoding"] == b"json/plain"
    assert traceparent_of(stamped) == TRACEPARENT
    at = published_at_of(stamped)
    assert at is not None and at.tzinfo is timezone.utc
    assert before - 0.002 <= at.timestamp() <= time.time()


def test_unreadable_values_read_as_absent() -> None:
    payload = json_payload()
    payload.metadata[TRACEPARENT_KEY] = b"\xff\xfe"
    payload.metadata[PUBLISHED_AT_KEY] = b"yesterday"
    assert traceparent_of(payload) is None
    assert published_at_of(payload) is None
    assert published_at_of(json_payload()) is None


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
