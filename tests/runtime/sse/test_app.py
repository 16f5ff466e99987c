"""wstream.sse over real HTTP: uvicorn serving the bridge, a dev server hosting the stream."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.routing import Mount, Route
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

import wstream.sse.app
from tests.runtime.helpers import start_host
from tests.runtime.sse.support import FrameReader, Recorder, parse_frames, serve
from tests.runtime.stream_workflows import HostInput, HostWorkflow, NoStreamWorkflow
from wstream import WorkflowStreamClient, WorkflowStreamItem
from wstream.json_view import payload_json
from wstream.sse import END_EVENT, EventStreamOptions, UnencodableItemError, sse_app, stream_events
from wstream.sse.events import EventStreamKeywords
from wstream.sse.frames import item_frame

QUICK = timedelta(milliseconds=20)

#: (topic, value) published by the tests, and the exact frame each becomes.
ITEMS: list[tuple[str, Any]] = [
    ("a", {"x": 1, "text": "two\nlines"}),
    ("b", "plain"),
    ("a", [1, 2.5, None]),
    ("b", b"\x00\xff"),
    ("b", 7),
]
FRAMES = [
    # The payload converter writes JSON objects with sorted keys; bytes have no JSON value
    # and show as `wstream tail` shows them.
    'id: 0\nevent: a\ndata: {"text":"two\\nlines","x":1}\n\n',
    'id: 1\nevent: b\ndata: "plain"\n\n',
    "id: 2\nevent: a\ndata: [1,2.5,null]\n\n",
    'id: 3\nevent: b\ndata: {"encoding":"binary/plain","base64":"AP8="}\n\n',
    "id: 4\nevent: b\ndata: 7\n\n",
]
END = 'event: wstream-end\ndata: {"end_offset":5}\n\n'


async def publish(client: Client, workflow_id: str, items: list[tuple[str, Any]]) -> None:
    stream = WorkflowStreamClient.create(client, workflow_id)
    for topic, value in items:
        stream.topic(topic).publish(value)
    await stream.flush()


async def ended_host(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """A host whose stream holds ITEMS and whose workflow has completed."""
    handle = await start_host(client, task_queue)
    await publish(client, handle.id, ITEMS)
    await handle.signal(HostWorkflow.finish_now)
    assert await handle.result() == len(ITEMS)
    return handle


def ids(frames: list[dict[str, str]]) -> list[int]:
    return [int(frame["id"]) for frame in frames if "id" in frame]


async def test_live_stream_sends_exact_frames_then_ends_with_the_workflow(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, poll_cooldown=QUICK, retry=timedelta(milliseconds=1500))
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("GET", f"/{handle.id}") as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        assert "content-length" not in response.headers
        reader = FrameReader(response)
        await publish(client, handle.id, ITEMS[:2])
        text = await reader.until(lambda frames: len(ids(frames)) == 2)
        assert text == "retry: 1500\n\n" + "".join(FRAMES[:2])
        await publish(client, handle.id, ITEMS[2:])
        await handle.signal(HostWorkflow.finish_now)
        # The response ends by itself after the end event: the workflow has finished.
        text = await reader.to_end()
    assert text == "retry: 1500\n\n" + "".join(FRAMES) + END


async def test_stream_follows_continue_as_new(
    client: Client, task_queue: str, worker: Worker
) -> None:
    # The host continues as new after every 2 items, so 5 items span three runs.
    handle = await start_host(client, task_queue, HostInput(continue_as_new_every=2, runs_left=3))
    app = sse_app(client, retry=None, poll_cooldown=QUICK)
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("GET", f"/{handle.id}") as response,
    ):
        reader = FrameReader(response)
        for topic, value in ITEMS:
            await publish(client, handle.id, [(topic, value)])
        await reader.until(lambda frames: len(ids(frames)) == len(ITEMS))
        await client.get_workflow_handle(handle.id).signal(HostWorkflow.finish_now)
        text = await reader.to_end()
    assert text == "".join(FRAMES) + END
    latest = await client.get_workflow_handle(handle.id).describe()
    assert latest.run_id != handle.result_run_id  # the stream really moved to a later run


async def test_filter_and_resume_pick_exact_offsets(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await ended_host(client, task_queue)
    async with (
        serve(sse_app(client, retry=None)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):

        async def body(query: str = "", last_event_id: str | None = None) -> str:
            headers = {"Last-Event-ID": last_event_id} if last_event_id is not None else {}
            response = await http.get(f"/{handle.id}{query}", headers=headers)
            assert response.status_code == 200, response.text
            return response.text

        whole = await body()
        assert whole == "".join(FRAMES) + END
        # The exported name is the one the last frame carries: a browser listening for
        # END_EVENT hears the end of the stream.
        assert parse_frames(whole)[-1] == {"event": END_EVENT, "data": '{"end_offset":5}'}
        assert await body("?topic=b") == FRAMES[1] + FRAMES[3] + FRAMES[4] + END
        assert await body("?topic=a&topic=b&topic=a") == "".join(FRAMES) + END
        assert await body("?from=3") == FRAMES[3] + FRAMES[4] + END
        # A reconnecting browser resumes right after its last id, and the header beats `from`.
        assert await body(last_event_id="1") == "".join(FRAMES[2:]) + END
        assert await body("?from=0", last_event_id="2") == FRAMES[3] + FRAMES[4] + END
        assert await body("?topic=a", last_event_id="0") == FRAMES[2] + END
        assert await body(last_event_id="4") == END
        # Past the end, nothing to send: the end event still tells where the stream ends.
        assert await body("?from=99") == END


async def test_bad_requests_get_400_and_unknown_workflows_404(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await ended_host(client, task_queue)
    no_stream = await client.start_workflow(
        NoStreamWorkflow.run, id=f"nostream-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    app = Starlette(
        routes=[
            Mount("/streams", sse_app(client)),
            Route("/only-a/{workflow_id}", stream_events(client, topics=["a"])),
        ]
    )
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def error(status: int, path: str, **headers: str) -> str:
            response = await http.get(path, headers=headers)
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/json"
            message = response.json()["error"]
            assert isinstance(message, str)
            return message

        stream = f"/streams/{handle.id}"
        for bad in ("abc", "-1", "1.5", "+3", "0x10"):
            message = await error(400, stream, **{"Last-Event-ID": bad})
            assert message == (
                "the Last-Event-ID header must be a stream offset (a non-negative decimal "
                f"integer), got {bad!r}"
            )
        assert "query parameter 'from' must be a stream offset" in await error(
            400, f"{stream}?from=-2"
        )
        assert "'from' given 2 times" in await error(400, f"{stream}?from=1&from=2")
        assert "'topic' must not be empty" in await error(400, f"{stream}?topic=")
        assert await error(400, f"/only-a/{handle.id}?topic=b") == (
            "topic 'b' is not served by this endpoint; it serves ['a']"
        )
        missing = f"nope-{uuid.uuid4().hex[:8]}"
        assert f"workflow {missing!r} not found" in await error(404, f"/streams/{missing}")
        assert "hosts no workflow stream" in await error(404, f"/streams/{no_stream.id}")
        # The endpoint limited to topic a sends only a, without asking.
        response = await http.get(f"/only-a/{handle.id}")
        assert ids(parse_frames(response.text)) == [0, 2]
    await no_stream.signal(NoStreamWorkflow.finish_now)


async def test_workflow_without_a_worker_gets_504(
    client: Client, task_queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nobody polls this task queue, so the offset query is never answered.
    handle = await start_host(client, f"{task_queue}-no-worker")
    monkeypatch.setattr(wstream.sse.app, "_FIRST_ANSWER_TIMEOUT_SECONDS", 0.3)
    async with serve(sse_app(client)) as base, httpx.AsyncClient(base_url=base) as http:
        response = await http.get(f"/{handle.id}", timeout=30)
    assert response.status_code == 504
    assert response.json() == {
        "error": f"workflow {handle.id!r} did not answer the stream offset query within "
        "0.3 s; is a worker running on its task queue?"
    }
    await handle.terminate()


async def test_quiet_stream_sends_keep_alive_comments(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    app = sse_app(client, keep_alive=timedelta(milliseconds=200))
    async with (
        serve(app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        http.stream("GET", f"/{handle.id}") as response,
    ):
        reader = FrameReader(response)
        text = await reader.until(lambda frames: len(frames) >= 3)
        assert text.startswith("retry: 2000\n\n: keep-alive\n\n: keep-alive\n\n")
        await publish(client, handle.id, ITEMS[:1])
        text = await reader.until(lambda frames: any("id" in f for f in frames))
        assert FRAMES[0] in text
    await handle.signal(HostWorkflow.finish_now)


async def test_max_events_and_max_duration_end_the_response_without_end_event(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await ended_host(client, task_queue)
    app = Starlette(
        routes=[
            Mount("/events", sse_app(client, retry=None, max_events=2)),
            Mount("/timed", sse_app(client, max_duration=timedelta(milliseconds=300))),
        ]
    )
    live = await start_host(client, task_queue)
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.get(f"/events/{handle.id}")).text == "".join(FRAMES[:2])
        response = await http.get(f"/events/{handle.id}", headers={"Last-Event-ID": "1"})
        assert response.text == "".join(FRAMES[2:4])
        # A quiet live stream ends at max_duration; the browser would reconnect.
        response = await asyncio.wait_for(http.get(f"/timed/{live.id}"), 20)
        assert response.text == "retry: 2000\n\n"
    await live.signal(HostWorkflow.finish_now)


async def test_client_disconnect_ends_the_response_while_the_stream_is_quiet(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    recorder = Recorder(Mount("/streams", sse_app(client, keep_alive=timedelta(minutes=5))))
    async with serve(recorder) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        async with http.stream("GET", f"/streams/{handle.id}") as response:
            await FrameReader(response).until(lambda frames: len(frames) >= 1)
            assert recorder.active == 1

        # Nothing is written to a quiet stream for minutes: only watching the connection
        # can notice the client left.
        async def ended() -> None:
            while recorder.active:
                await asyncio.sleep(0.02)

        await asyncio.wait_for(ended(), 10)
    await handle.signal(HostWorkflow.finish_now)


async def test_items_without_a_json_value_are_shown_as_wstream_tail_shows_them(
    client: Client, task_queue: str, worker: Worker
) -> None:
    handle = await start_host(client, task_queue)
    binary = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01")
    # The payload converter writes NaN, which JSON.parse in a browser would reject.
    await publish(client, handle.id, [("a", 1), ("a", float("nan")), ("b", binary), ("a", 2)])
    await handle.signal(HostWorkflow.finish_now)
    async with (
        serve(sse_app(client, retry=None)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        frames = parse_frames((await http.get(f"/{handle.id}")).text)
    converter = client.data_converter.payload_converter
    nan = converter.to_payloads([float("nan")])[0]
    # One JSON view of a payload, the same as `wstream tail --json` prints.
    assert [json.loads(frame["data"]) for frame in frames[:4]] == [
        1,
        payload_json(nan, converter),
        payload_json(binary, converter),
        2,
    ]
    assert json.loads(frames[2]["data"]) == {"encoding": "binary/plain", "base64": "AAE="}
    assert json.loads(frames[1]["data"]) == {"encoding": "json/plain", "base64": "TmFO"}
    assert frames[4]["event"] == END_EVENT


async def test_mounted_in_fastapi(client: Client, task_queue: str, worker: Worker) -> None:
    handle = await ended_host(client, task_queue)
    app = FastAPI()
    app.mount("/streams", sse_app(client, retry=None))
    app.add_api_route("/orders/{workflow_id}/b", stream_events(client, topics=["b"], retry=None))
    app.add_route("/this-one", stream_events(client, workflow_id=handle.id, retry=None))

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        assert (await http.get("/health")).json() == {"status": "ok"}
        assert (await http.get(f"/streams/{handle.id}")).text == "".join(FRAMES) + END
        response = await http.get(f"/orders/{handle.id}/b", headers={"Last-Event-ID": "1"})
        assert response.text == FRAMES[3] + FRAMES[4] + END
        assert (await http.get("/this-one?from=4")).text == FRAMES[4] + END
        response = await http.get("/streams/")
        assert response.status_code == 404
        assert response.json() == {"error": "no workflow id in the path '/streams/'"}


def test_frames_stay_one_line_and_refuse_values_without_json() -> None:
    item = WorkflowStreamItem("line\nbreak", {"k": "a\r\nb"}, 3)
    assert item_frame(item) == 'id: 3\nevent: line\\nbreak\ndata: {"k":"a\\r\\nb"}\n\n'
    with pytest.raises(UnencodableItemError, match="offset 5 on topic 't' has no JSON form"):
        item_frame(WorkflowStreamItem("t", float("nan"), 5))
    with pytest.raises(UnencodableItemError, match="type object is not JSON serializable"):
        item_frame(WorkflowStreamItem("t", object(), 6))


def test_options_are_checked(client: Client) -> None:
    with pytest.raises(ValueError, match="keep_alive must be positive"):
        EventStreamOptions(keep_alive=timedelta(0))
    with pytest.raises(ValueError, match="max_events must be at least 1, got 0"):
        sse_app(client, max_events=0)
    with pytest.raises(ValueError, match=r"topics=\.\.\.\) must be None"):
        stream_events(client, topics=[])
    with pytest.raises(ValueError, match=r"workflow_id=\.\.\.\) must be None .* got ''"):
        stream_events(client, workflow_id="")
    with pytest.raises(TypeError, match="unexpected keyword argument 'keepalive'"):
        sse_app(client, keepalive=timedelta(seconds=1))  # type: ignore[call-arg]


def test_the_keywords_are_the_options_fields() -> None:
    # The options are declared by EventStreamOptions; the TypedDict only types the keywords.
    fields = {field.name: field.type for field in dataclasses.fields(EventStreamOptions)}
    keywords = {
        name: getattr(hint, "__forward_arg__", hint)
        for name, hint in EventStreamKeywords.__annotations__.items()
    }
    assert keywords == fields


def test_wstream_imports_without_starlette() -> None:
    code = (
        "import sys; sys.modules['starlette'] = None\n"
        "import wstream\n"
        "try:\n    import wstream.sse\nexcept ImportError as e:\n    print(e.name, e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == (
        "starlette wstream.sse needs starlette; install the extra: pip install 'wstream[sse]'"
    )
