"""Helpers of the SSE bridge tests: a real uvicorn server in the test's loop, a request
recorder, and a reader of event-stream frames."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class Recorder:
    """ASGI wrapper counting requests in progress and the Last-Event-ID of each request."""

    app: ASGIApp
    active: int = 0
    last_event_ids: list[str | None] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["path"].startswith("/streams/"):
            raw = headers.get(b"last-event-id")
            self.last_event_ids.append(raw.decode() if raw is not None else None)
        self.active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active -= 1


@asynccontextmanager
async def serve(app: ASGIApp, port: int = 0, grace: float = 2.0) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on ``port`` (0: a free one); yield its base URL.

    On exit, responses still running after ``grace`` seconds are cut off.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=grace
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> None:
        while not server.started:
            if task.done():
                task.result()  # raises why the server did not start
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(started(), 10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
        sock.close()


def parse_frames(text: str) -> list[dict[str, str]]:
    """Split event-stream text into frames of ``{field: value}`` (comments under ``":"``)."""
    frames = []
    for block in text.split("\n\n"):
        if not block:
            continue
        frame: dict[str, str] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            frame[name] = value[1:] if value.startswith(" ") else value
        frames.append(frame)
    return frames


class FrameReader:
    """Reads one streaming response bit by bit, keeping everything read so far."""

    def __init__(self, response: httpx.Response) -> None:
        self.text = ""
        self._chunks = response.aiter_text()

    @property
    def frames(self) -> list[dict[str, str]]:
        """The complete frames read so far."""
        return parse_frames(self.text[: self.text.rfind("\n\n") + 2])

    async def until(
        self, done: Callable[[list[dict[str, str]]], bool], timeout: float = 30.0
    ) -> str:
        """Read until ``done(frames)`` holds; return all text read so far."""

        async def read() -> None:
            while not done(self.frames):
                self.text += await anext(self._chunks)

        await asyncio.wait_for(read(), timeout)
        return self.text

    async def to_end(self, timeout: float = 30.0) -> str:
        """Read until the server ends the response; return all text read."""

        async def read() -> None:
            async for chunk in self._chunks:
                self.text += chunk

        await asyncio.wait_for(read(), timeout)
        return self.text
