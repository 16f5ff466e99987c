"""Waiting with a bound, and stopping helper tasks, without ever losing a cancellation.

``asyncio.wait_for`` on Python 3.10 and 3.11 returns the inner result when a cancellation
arrives just as the inner awaitable finishes, and ``await task`` under
``suppress(CancelledError)`` also swallows a cancellation of the awaiting task. Both are
built here on ``asyncio.wait``, which never consumes the caller's cancellation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")
logger = logging.getLogger(__name__)


async def bounded(work: Awaitable[T], seconds: float, what: str) -> T:
    """Return ``work``'s result, or raise ``asyncio.TimeoutError`` after ``seconds``.

    ``work`` is cancelled (and waited for) on timeout and when the caller is cancelled; the
    caller's cancellation always propagates.

    Args:
        work: The awaitable to run.
        seconds: The bound.
        what: Names the work in the timeout message.

    Raises:
        asyncio.TimeoutError: ``work`` did not finish within ``seconds``.
    """
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except BaseException:
        await stop(task)
        raise
    if not done:
        await stop(task)
        raise asyncio.TimeoutError(f"{what} did not finish within {seconds:g} s")
    return task.result()


async def stop(*tasks: asyncio.Future[Any]) -> None:
    """Cancel ``tasks`` and wait until they have all ended, discarding their outcomes.

    All are cancelled before any is waited for, so a cancellation of the caller while it
    waits (which propagates) leaves none of them running on.
    """
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            logger.debug("stopped task ended with %r", task.exception())
