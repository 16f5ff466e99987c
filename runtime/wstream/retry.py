"""When a failed call is worth making again, and how long to wait before the next attempt."""

from __future__ import annotations

import asyncio
import time

from temporalio.service import RPCError, RPCStatusCode

#: RPC failures after which the server may or may not have acted, and asking again may
#: succeed: the server away or busy, the call cut short, an internal error.
RETRYABLE_STATUS: frozenset[RPCStatusCode] = frozenset(
    {
        RPCStatusCode.ABORTED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.DATA_LOSS,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.INTERNAL,
        RPCStatusCode.OUT_OF_RANGE,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.UNKNOWN,
    }
)
#: The first pause of a back-off that starts from nothing in particular.
FIRST_DELAY_SECONDS = 0.05
#: The longest pause between two attempts.
MAX_DELAY_SECONDS = 2.0
#: The statuses a call ends with when its own deadline passes.
_TIMED_OUT = frozenset({RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED})


def is_retryable(error: BaseException) -> bool:
    """Whether a failed RPC may succeed when made again."""
    return isinstance(error, RPCError) and error.status in RETRYABLE_STATUS


def unanswered(error: BaseException, elapsed: float, timeout: float) -> bool:
    """Whether a call failed because nobody answered it within its ``timeout`` seconds.

    A query no worker takes ends at its deadline as DEADLINE_EXCEEDED or, when the client's
    own timer fires first, CANCELLED; only the time it took tells that silence from a quick
    refusal with the same status.
    """
    return isinstance(error, RPCError) and error.status in _TIMED_OUT and elapsed >= 0.9 * timeout


class Backoff:
    """Pauses between attempts: doubling from ``first`` up to ``longest``, within a deadline.

    Attributes:
        deadline: The ``time.monotonic()`` after which no attempt should start, or None.
    """

    def __init__(
        self,
        first: float = FIRST_DELAY_SECONDS,
        *,
        deadline: float | None = None,
        longest: float = MAX_DELAY_SECONDS,
    ):
        """Start at ``first`` seconds, double up to ``longest``; stop at ``deadline``, if any.

        ``deadline`` is a ``time.monotonic()`` time.
        """
        self._delay = first
        self._longest = longest
        self.deadline = deadline

    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.deadline is not None and time.monotonic() >= self.deadline

    async def wait(self) -> None:
        """Sleep the next pause (never past the deadline), and double the one after."""
        delay = self._delay
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        self._delay = min(self._delay * 2, self._longest)
        await asyncio.sleep(delay)
