"""A Starlette response that writes event-stream frames and stops as soon as the client leaves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from wstream.sse.tasks import stop

#: Headers of every event stream: never cached, never buffered by a reverse proxy (nginx).
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class EventStreamResponse(Response):
    """Sends ``text/event-stream`` frames from an async iterator of strings.

    Unlike a plain streaming response, it always watches the connection: when the client
    disconnects, the frame iterator (and so the stream subscription behind it) is cancelled
    at once, even while the stream is quiet and nothing is being written.
    """

    media_type = "text/event-stream"

    def __init__(self, frames: AsyncIterator[str]) -> None:
        """Wrap the frames to send; the iterator is closed when the response ends."""
        # Not Response.__init__: it would render an empty body and announce Content-Length: 0.
        self.status_code = 200
        self.background = None
        self.init_headers(STREAM_HEADERS)
        self._frames = frames

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the frames until they end or the client disconnects."""
        writer = asyncio.ensure_future(self._write(send))
        watcher = asyncio.ensure_future(_until_disconnect(receive))
        try:
            done, _ = await asyncio.wait({writer, watcher}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                with contextlib.suppress(OSError):  # the client left during the last write
                    task.result()
        finally:
            await stop(writer, watcher)
            closer = getattr(self._frames, "aclose", None)
            if closer is not None:
                await closer()

    async def _write(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for frame in self._frames:
            await send({"type": "http.response.body", "body": frame.encode(), "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
