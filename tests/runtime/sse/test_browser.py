"""wstream.sse in a real headless Chromium: a real EventSource, reconnecting mid-stream."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.sse.support import Recorder, serve
from tests.runtime.stream_workflows import HostWorkflow
from wstream import WorkflowStreamClient
from wstream.sse import sse_app

CHROMIUM = "/usr/bin/chromium"
DEMO = Path(__file__).resolve().parents[3] / "demo" / "sse"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Every browser wait is bounded, so a broken stream fails the test instead of hanging it.
WAIT_MS = 20_000

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=(
        f"{CHROMIUM} is missing: `make setup-test` installs Debian's chromium with apt-get "
        "(when CI is set, this skip fails the run)"
    ),
)

PAGE = """<!doctype html>
<title>wstream events</title>
<script>
  const workflowId = new URLSearchParams(location.search).get("wf");
  window.received = [];
  window.opens = 0;
  window.ended = null;
  const source = new EventSource(`/streams/${encodeURIComponent(workflowId)}?topic=a&topic=b`);
  source.onopen = () => { window.opens += 1; };
  for (const topic of ["a", "b"]) {
    source.addEventListener(topic, (event) => {
      window.received.push(
        {offset: Number(event.lastEventId), topic: event.type, data: JSON.parse(event.data)});
    });
  }
  source.addEventListener("wstream-end", (event) => {
    window.ended = JSON.parse(event.data);
    source.close();  // or the browser would reconnect
  });
</script>
"""


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE)


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=WAIT_MS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def test_event_source_reconnects_without_gap_or_duplicate(
    client: Client, task_queue: str, worker: Worker, browser: Any
) -> None:
    handle = await start_host(client, task_queue)
    # Every response ends after 4 events, so the browser must reconnect twice for 10 items.
    bridge = sse_app(
        client,
        max_events=4,
        retry=timedelta(milliseconds=100),
        poll_cooldown=timedelta(milliseconds=20),
    )
    recorder = Recorder(Starlette(routes=[Route("/", page), Mount("/streams", bridge)]))
    stream = WorkflowStreamClient.create(client, handle.id)
    async with serve(recorder) as base:
        tab = await browser.new_page()
        tab.set_default_timeout(WAIT_MS)
        await tab.goto(f"{base}/?wf={handle.id}")
        await tab.wait_for_function("window.opens === 1")
        for n in range(6):  # published while the first connection is open
            stream.topic("a" if n % 2 else "b").publish({"n": n})
        await stream.flush()
        await tab.wait_for_function("window.received.length >= 6")
        for n in range(6, 10):  # published across the next reconnect
            stream.topic("a" if n % 2 else "b").publish({"n": n})
        await stream.flush()
        await tab.wait_for_function("window.received.length >= 10")
        await handle.signal(HostWorkflow.finish_now)
        await tab.wait_for_function("window.ended !== null")
        received = await tab.evaluate("window.received")
        opens = await tab.evaluate("window.opens")
        ended = await tab.evaluate("window.ended")
        await tab.close()
    assert [event["offset"] for event in received] == list(range(10))
    assert received == [
        {"offset": n, "topic": "a" if n % 2 else "b", "data": {"n": n}} for n in range(10)
    ]
    assert ended == {"end_offset": 10}
    # The browser really reconnected, each time resuming after its last event id.
    assert opens == 3
    assert recorder.last_event_ids == [None, "3", "7"]


def load_demo() -> ModuleType:
    """Import demo/sse/app.py (it puts its own folder on sys.path for the workflow module)."""
    spec = importlib.util.spec_from_file_location("wstream_sse_demo_app", DEMO / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_demo_page_shows_the_filtered_stream_until_the_workflow_ends(
    client: Client, task_queue: str, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo puts its folder on sys.path; take it off again after the test.
    monkeypatch.setattr(sys, "path", list(sys.path))
    demo = load_demo()
    # The dev server rounds timers up to a second: three ticks take about three seconds.
    ticker = demo.TickerInput(ticks=3, interval_ms=50)
    app = demo.create_app(client, task_queue, ticker)
    async with (
        Worker(client, task_queue=task_queue, workflows=[demo.TickerWorkflow]),
        serve(app) as base,
    ):
        tab = await browser.new_page()
        tab.set_default_timeout(WAIT_MS)
        await tab.goto(base)
        await tab.uncheck("input[value=log]")
        await tab.click("#start")
        await tab.wait_for_function(
            "document.getElementById('status').textContent.startsWith('ended')"
        )
        rows = await tab.eval_on_selector_all(
            "#events li", "rows => rows.map(row => [row.dataset.offset, row.textContent])"
        )
        status = await tab.text_content("#status")
        await tab.close()
    # Offsets 0 and 4 hold the log lines "starting 3 ticks" and "done", filtered out.
    assert [int(offset) for offset, _ in rows] == [1, 2, 3]
    assert [json.loads(text.removeprefix("tick: "))["n"] for _, text in rows] == [1, 2, 3]
    assert status == "ended (end offset 5)"


async def test_event_source_resumes_after_the_server_went_away(
    client: Client, task_queue: str, worker: Worker, browser: Any
) -> None:
    handle = await start_host(client, task_queue)
    bridge = sse_app(
        client, retry=timedelta(milliseconds=100), poll_cooldown=timedelta(milliseconds=20)
    )
    recorder = Recorder(Starlette(routes=[Route("/", page), Mount("/streams", bridge)]))
    stream = WorkflowStreamClient.create(client, handle.id)
    tab = await browser.new_page()
    tab.set_default_timeout(WAIT_MS)
    async with serve(recorder, grace=0.1) as base:
        await tab.goto(f"{base}/?wf={handle.id}")
        for n in range(4):
            stream.topic("a").publish({"n": n})
        await stream.flush()
        await tab.wait_for_function("window.received.length >= 4")
    # The server is gone: these items are published while the browser cannot connect.
    for n in range(4, 8):
        stream.topic("b").publish({"n": n})
    await stream.flush()
    port = int(base.rsplit(":", 1)[1])
    async with serve(recorder, port=port):
        await tab.wait_for_function("window.received.length >= 8")
        await handle.signal(HostWorkflow.finish_now)
        await tab.wait_for_function("window.ended !== null")
        received = await tab.evaluate("window.received")
        opens = await tab.evaluate("window.opens")
        await tab.close()
    assert [event["offset"] for event in received] == list(range(8))
    assert [event["data"]["n"] for event in received] == list(range(8))
    assert opens == 2
    assert recorder.last_event_ids == [None, "3"]
