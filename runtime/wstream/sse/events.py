"""Turns one subscription into the frames of one event-stream response."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypedDict

from wstream.item import WorkflowStreamItem
from wstream.sse.frames import (
    KEEP_ALIVE_FRAME,
    end_frame,
    error_frame,
    item_frame,
    retry_frame,
)
from wstream.sse.tasks import bounded, stop
from wstream.topic_handle import DEFAULT_POLL_COOLDOWN

logger = logging.getLogger(__name__)

#: How long a quiet stream waits before sending a keep-alive comment.
DEFAULT_KEEP_ALIVE = timedelta(seconds=15)
#: How long a browser waits before reconnecting a dropped stream.
DEFAULT_RETRY = timedelta(seconds=2)
#: How many recent items a shared feed holds for connections that lag behind it.
DEFAULT_SHARED_BUFFER_ITEMS = 1000
#: How long the end frame waits for the stream's end offset.
_END_OFFSET_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class EventStreamOptions:
    """How an event-stream response paces and bounds itself.

    Attributes:
        keep_alive: Quiet time after which a ``: keep-alive`` comment is sent.
        retry: Reconnect delay announced to the browser (``retry:``); ``None`` leaves the
            browser's default.
        max_events: End the response after this many item events (``None``: no bound). The
            browser reconnects with ``Last-Event-ID`` and continues where it left off, which
            suits proxies that cut long responses.
        max_duration: End the response after this long, likewise (``None``: no bound).
        poll_cooldown: Pause between the subscription's polls while items flow.
        share_subscriptions: Serve the connections that follow the same workflow with the
            same topic filter from one shared subscription (a feed) once they are at the
            live tail; ``False`` gives every connection a subscription of its own.
        shared_buffer_items: How many recent items each shared feed holds. A connection
            further behind (an old ``Last-Event-ID``, a slow client) reads with queries of
            its own until it is back within them.
    """

    keep_alive: timedelta = DEFAULT_KEEP_ALIVE
    retry: timedelta | None = DEFAULT_RETRY
    max_events: int | None = None
    max_duration: timedelta | None = None
    poll_cooldown: timedelta = DEFAULT_POLL_COOLDOWN
    share_subscriptions: bool = True
    shared_buffer_items: int = DEFAULT_SHARED_BUFFER_ITEMS

    def __post_init__(self) -> None:
        """Refuse settings that would make a stream that never sends or never stops.

        Raises:
            ValueError: a duration, count or buffer size is out of range.
            TypeError: ``share_subscriptions`` is not a bool.
        """
        for name in ("keep_alive", "max_duration", "poll_cooldown"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"event stream option {name} must be positive, got {value}")
        if self.retry is not None and self.retry < timedelta(0):
            raise ValueError(f"event stream option retry must not be negative, got {self.retry}")
        if self.max_events is not None and self.max_events < 1:
            raise ValueError(
                f"event stream option max_events must be at least 1, got {self.max_events}"
            )
        if not isinstance(self.share_subscriptions, bool):
            raise TypeError(
                "event stream option share_subscriptions must be True or False, got "
                f"{self.share_subscriptions!r}"
            )
        buffer = self.shared_buffer_items
        if isinstance(buffer, bool) or not isinstance(buffer, int) or buffer < 1:
            raise ValueError(
                f"event stream option shared_buffer_items must be an integer of at least 1, "
                f"got {buffer!r}"
            )


class EventStreamKeywords(TypedDict, total=False):
    """:class:`EventStreamOptions` as keyword arguments of ``sse_app`` and ``stream_events``.

    Meaning, defaults and checks are the dataclass's; this only types the keywords.
    """

    keep_alive: timedelta
    retry: timedelta | None
    max_events: int | None
    max_duration: timedelta | None
    poll_cooldown: timedelta
    share_subscriptions: bool
    shared_buffer_items: int


class _Ended:
    """Marks the end of the subscription (the workflow has ended and all items were read)."""


async def _next_item(items: AsyncIterator[WorkflowStreamItem[Any]]) -> Any:
    try:
        return await items.__anext__()
    except StopAsyncIteration:
        return _Ended()


async def event_frames(
    items: AsyncIterator[WorkflowStreamItem[Any]],
    from_offset: int,
    end_offset: Callable[[], Awaitable[int]],
    options: EventStreamOptions,
) -> AsyncIterator[str]:
    """Yield the frames of one response: retry, items, keep-alives, and end or error.

    The response stops early, without an end frame, after ``max_events`` items or
    ``max_duration``; the browser then reconnects and resumes after the last ``id:``.

    Args:
        items: The subscription; cancelled when the response stops.
        from_offset: The subscription's first offset.
        end_offset: Returns the stream's end offset, sent in the end frame.
        options: Pacing and bounds.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.max_duration.total_seconds() if options.max_duration else None
    if options.retry is not None:
        yield retry_frame(options.retry)
    sent = 0
    after_last = from_offset
    # One pending read outlives keep-alive timeouts, so no item is ever lost to a timeout.
    pending: asyncio.Task[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next_item(items))
            wait = options.keep_alive.total_seconds()
            if deadline is not None:
                wait = min(wait, deadline - loop.time())
                if wait <= 0:
                    return
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if not done:
                if deadline is None or loop.time() < deadline:
                    yield KEEP_ALIVE_FRAME
                continue
            read, pending = pending, None
            try:
                result = read.result()
                if isinstance(result, _Ended):
                    yield end_frame(await _final_offset(end_offset, after_last))
                    return
                frame = item_frame(result)
                after_last = result.offset + 1
            except Exception as error:  # the last frame tells the browser why it stops
                logger.warning("event stream failed: %s", error)
                yield error_frame(str(error))
                return
            yield frame
            sent += 1
            if options.max_events is not None and sent >= options.max_events:
                return
    finally:
        if pending is not None:
            await stop(pending)
        closer = getattr(items, "aclose", None)
        if closer is not None:
            with contextlib.suppress(Exception):
                await closer()


async def _final_offset(end_offset: Callable[[], Awaitable[int]], after_last: int) -> int:
    try:
        return await bounded(end_offset(), _END_OFFSET_TIMEOUT_SECONDS, "the end offset query")
    except Exception as error:
        # The items are all sent; an unknown end offset must not turn the end into an error.
        logger.info("event stream end: end offset unavailable (%s); sending %d", error, after_last)
        return after_last
