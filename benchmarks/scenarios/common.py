"""Helpers shared by the scenarios."""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any


def failure(error: BaseException) -> str:
    """A short, honest description of why a step failed."""
    if isinstance(error, asyncio.TimeoutError | TimeoutError) and not str(error):
        return "failed: timed out"
    text = " ".join(str(error).split()) or type(error).__name__
    cause = error.__cause__
    if cause is not None and str(cause) and str(cause) not in text:
        text += f" ({' '.join(str(cause).split())})"
    return f"failed: {type(error).__name__}: {text[:200]}"


async def read(
    items: AsyncIterator[Any], count: int, on_item: Callable[[Any], None] | None = None
) -> int:
    """Read ``count`` items from a subscription, then close it; returns items read."""
    got = 0
    try:
        async for item in items:
            if on_item is not None:
                on_item(item)
            got += 1
            if got >= count:
                break
    finally:
        with contextlib.suppress(Exception):
            await items.aclose()  # type: ignore[attr-defined]
    return got


async def wait_offset(stream: Any, target: int, timeout: float) -> float:
    """Poll ``get_offset`` until it reaches ``target``; returns the monotonic time it did."""
    deadline = time.monotonic() + timeout
    while True:
        offset = await stream.get_offset()
        if offset >= target:
            if offset != target:
                raise RuntimeError(f"offset {offset} overshot {target}: duplicates were applied")
            return time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"offset stuck at {offset} of {target}")
        # The same 5 ms the transport's signal ceiling (scenario 10) polls its sink at, so a
        # burst and its ceiling are timed to their ends alike.
        await asyncio.sleep(0.005)


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by the inclusive method."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]
