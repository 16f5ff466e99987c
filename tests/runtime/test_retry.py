"""The one retry policy of publisher, page reader and get_offset, without a server."""

from __future__ import annotations

import time

import pytest
from temporalio.service import RPCError, RPCStatusCode

from wstream import retry
from wstream.retry import RETRYABLE_STATUS, Backoff, is_retryable, unanswered


def rpc(status: RPCStatusCode) -> RPCError:
    return RPCError("boom", status, b"")


def test_retryable_failures_are_those_the_server_may_not_have_acted_on() -> None:
    for status in RPCStatusCode:
        assert is_retryable(rpc(status)) == (status in RETRYABLE_STATUS), status
    assert is_retryable(rpc(RPCStatusCode.UNAVAILABLE))
    assert not is_retryable(rpc(RPCStatusCode.NOT_FOUND))
    assert not is_retryable(rpc(RPCStatusCode.INVALID_ARGUMENT))
    assert not is_retryable(ValueError("not an RPC failure"))


def test_silence_is_told_from_a_quick_refusal_by_the_time_it_took() -> None:
    for status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        assert unanswered(rpc(status), elapsed=29.5, timeout=30)
        assert not unanswered(rpc(status), elapsed=0.2, timeout=30)
    assert not unanswered(rpc(RPCStatusCode.UNAVAILABLE), elapsed=30, timeout=30)


async def test_pauses_double_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    backoff = Backoff(0.05)
    for _ in range(8):
        await backoff.wait()
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert not backoff.expired()


async def test_pauses_never_pass_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(retry.asyncio, "sleep", sleep)
    backoff = Backoff(1.0, deadline=time.monotonic() + 0.3)
    await backoff.wait()
    assert 0 < slept[0] <= 0.3
    past = Backoff(1.0, deadline=time.monotonic() - 1)
    assert past.expired()
    await past.wait()
    assert slept[1] == 0.0
