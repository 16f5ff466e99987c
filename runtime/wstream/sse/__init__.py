"""Serve workflow streams to browsers as Server-Sent Events (needs the ``sse`` extra: starlette).

``app.mount("/streams", sse_app(client))`` serves ``GET /streams/<workflow id>``; in the
browser, ``new EventSource("/streams/<workflow id>?topic=progress")`` receives one event per
item (``id``: offset, ``event``: topic, ``data``: JSON), resumes after a reconnect with no gap
and no duplicate, and should ``close()`` itself on the final ``wstream-end`` event.
"""

try:
    import starlette  # noqa: F401  (checked first for a clear message)
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "wstream.sse needs starlette; install the extra: pip install 'wstream[sse]'",
        name="starlette",
    ) from error

from wstream.sse.app import feed_registry, sse_app, stream_events
from wstream.sse.events import EventStreamOptions
from wstream.sse.frames import END_EVENT, ERROR_EVENT, UnencodableItemError
from wstream.sse.registry import FeedRegistry, FeedStatus, SharingStats
from wstream.sse.response import EventStreamResponse

__all__ = [
    "END_EVENT",
    "ERROR_EVENT",
    "EventStreamOptions",
    "EventStreamResponse",
    "FeedRegistry",
    "FeedStatus",
    "SharingStats",
    "UnencodableItemError",
    "feed_registry",
    "sse_app",
    "stream_events",
]
