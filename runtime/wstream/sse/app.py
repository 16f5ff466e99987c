"""The HTTP side of the bridge: an endpoint and a mountable app serving streams as SSE."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from temporalio.client import Client
from temporalio.common import RawValue
from typing_extensions import Unpack

from wstream.client import WorkflowStreamClient
from wstream.errors import StreamNotFoundError
from wstream.json_view import json_items
from wstream.sse.connection import SharedConnection
from wstream.sse.events import EventStreamKeywords, EventStreamOptions, event_frames
from wstream.sse.registry import FeedRegistry
from wstream.sse.request import LAST_EVENT_ID, BadStreamRequest, StreamRequest, parse_request
from wstream.sse.response import EventStreamResponse
from wstream.sse.tasks import bounded

logger = logging.getLogger(__name__)

#: Path parameter naming the workflow whose stream a request reads.
WORKFLOW_ID_PARAM = "workflow_id"
#: How long the first offset query may take before the request gets a 504.
_FIRST_ANSWER_TIMEOUT_SECONDS = 10.0
#: Attribute of an endpoint function, and of an app's ``state``, holding its feed registry.
_REGISTRY_ATTRIBUTE = "wstream_feeds"

Endpoint = Callable[[Request], Awaitable[Response]]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _served_topics(topics: Sequence[str] | None) -> list[str] | None:
    if topics is None:
        return None
    if isinstance(topics, str):
        topics = [topics]
    served = list(topics)
    if not served or not all(isinstance(topic, str) and topic for topic in served):
        raise ValueError(
            f"stream_events(topics=...) must be None (all topics) or non-empty topic names, "
            f"got {topics!r}"
        )
    return served


def stream_events(
    client: Client,
    *,
    workflow_id: str | None = None,
    topics: Sequence[str] | None = None,
    **options: Unpack[EventStreamKeywords],
) -> Endpoint:
    """Return an endpoint that serves a workflow's stream as Server-Sent Events.

    Each item becomes one event: ``id:`` its offset, ``event:`` its topic, ``data:`` its value
    as one line of JSON (decoded with the client's payload converter). The query parameter
    ``topic`` (repeatable) filters topics and ``from`` sets the first offset; a reconnecting
    browser's ``Last-Event-ID`` header wins over ``from``, and the stream resumes right after
    it. When the workflow has ended and every item is sent, a ``wstream-end`` event carries
    ``{"end_offset": N}`` and the response ends: the browser must then call
    ``EventSource.close()``, or it reconnects. A failure mid-stream sends a ``wstream-error``
    event with ``{"error": message}``. Bad offsets or topics get a 400 and an unknown workflow
    a 404, both as JSON ``{"error": message}`` before any event.

    Connections that follow the same workflow with the same topic filter share one
    subscription at the live tail (see ``share_subscriptions``), so a hundred browsers
    watching one workflow cost it about what one does; :func:`feed_registry` reports the
    shared feeds.

    Args:
        client: The Temporal client that reads the streams.
        workflow_id: The workflow to serve; ``None`` reads it from the route's
            ``{workflow_id}`` path parameter.
        topics: Topics this endpoint is limited to (``None``: all); ``topic`` query
            parameters may only narrow it.
        **options: Pacing, bounds and sharing: the fields of :class:`EventStreamOptions`
            (``keep_alive``, ``retry``, ``max_events``, ``max_duration``, ``poll_cooldown``,
            ``share_subscriptions``, ``shared_buffer_items``), with its defaults.

    Raises:
        ValueError: an option is out of range, or ``topics`` or ``workflow_id`` is empty.
        TypeError: ``share_subscriptions`` is not a bool, or an option name is unknown.
    """
    served = _served_topics(topics)
    if workflow_id is not None and (not isinstance(workflow_id, str) or not workflow_id):
        raise ValueError(
            f"stream_events(workflow_id=...) must be None (taken from the path) or a "
            f"non-empty workflow id, got {workflow_id!r}"
        )
    settings = EventStreamOptions(**options)
    registry = FeedRegistry(
        client, capacity=settings.shared_buffer_items, poll_cooldown=settings.poll_cooldown
    )

    async def endpoint(request: Request) -> Response:
        target = workflow_id or request.path_params.get(WORKFLOW_ID_PARAM)
        if target == "":
            return _error(404, f"no workflow id in the path {request.url.path!r}")
        if target is None:
            raise RuntimeError(
                f"route {request.url.path!r} has no {{{WORKFLOW_ID_PARAM}}} path parameter and "
                "stream_events() was given no workflow_id; add one of them"
            )
        try:
            wanted = parse_request(
                request.query_params.multi_items(), request.headers.get(LAST_EVENT_ID), served
            )
        except BadStreamRequest as error:
            return _error(400, str(error))
        target = str(target)
        low = registry.running_low(target, wanted.topics) if settings.share_subscriptions else None
        if low is not None:
            # A feed is reading this workflow, so it exists and hosts a stream: a crowd of
            # browsers (re)connecting at once adds no offset queries.
            return _shared_response(registry, client, target, wanted, low, settings)
        stream = WorkflowStreamClient.create(client, target)
        try:
            # Checked before any event, so a wrong id is a plain 404 and not a broken stream.
            end = await _first_offset(stream)
        except StreamNotFoundError as error:
            return _error(404, str(error))
        except asyncio.TimeoutError:
            return _error(
                504,
                f"workflow {target!r} did not answer the stream offset query within "
                f"{_FIRST_ANSWER_TIMEOUT_SECONDS:g} s; is a worker running on its task queue?",
            )
        except Exception as error:
            logger.warning("event stream for workflow %r unavailable: %s", target, error)
            return _error(502, f"workflow {target!r} could not be reached: {error}")
        if settings.share_subscriptions:
            return _shared_response(registry, client, target, wanted, end, settings)
        registry.count_own_subscription()
        raw = stream.subscribe(
            wanted.topics,
            wanted.from_offset,
            result_type=RawValue,
            poll_cooldown=settings.poll_cooldown,
        )
        items = json_items(raw, client.data_converter.payload_converter)
        return EventStreamResponse(
            event_frames(items, wanted.from_offset, stream.get_offset, settings)
        )

    setattr(endpoint, _REGISTRY_ATTRIBUTE, registry)
    return endpoint


async def _first_offset(stream: WorkflowStreamClient) -> int:
    """The stream's end offset, asked twice within :data:`_FIRST_ANSWER_TIMEOUT_SECONDS`.

    A closed run answers a query by a replay on a worker, and a worker evicting that run can
    drop a query task that arrived meanwhile (seen on a loaded machine): the server then
    waits for an answer that never comes, and a second query is answered at once.

    Raises:
        asyncio.TimeoutError: neither query was answered in its half of the time.
    """
    half = _FIRST_ANSWER_TIMEOUT_SECONDS / 2
    try:
        return await bounded(stream.get_offset(), half, "the stream offset query")
    except asyncio.TimeoutError:
        return await bounded(stream.get_offset(), half, "the stream offset query, again")


def _shared_response(
    registry: FeedRegistry,
    client: Client,
    workflow_id: str,
    wanted: StreamRequest,
    start_offset: int,
    options: EventStreamOptions,
) -> EventStreamResponse:
    connection = SharedConnection(
        registry,
        client,
        workflow_id,
        wanted.topics,
        from_offset=wanted.from_offset,
        start_offset=start_offset,
        poll_cooldown=options.poll_cooldown.total_seconds(),
    )
    return EventStreamResponse(
        event_frames(connection.items(), wanted.from_offset, connection.end_offset, options)
    )


def feed_registry(app: Starlette | Endpoint) -> FeedRegistry:
    """Return the registry of shared feeds of an app or endpoint made by this module.

    It is read-only for callers: ``feed_registry(app).feeds()`` lists each shared
    subscription with its connection count, and ``.stats`` counts feeds started, catch-ups
    and unshared subscriptions.

    Args:
        app: An app returned by :func:`sse_app` or an endpoint returned by
            :func:`stream_events`.

    Raises:
        TypeError: ``app`` was not made by :func:`sse_app` or :func:`stream_events`.
    """
    holder: Any = app.state if isinstance(app, Starlette) else app
    registry = getattr(holder, _REGISTRY_ATTRIBUTE, None)
    if not isinstance(registry, FeedRegistry):
        raise TypeError(
            f"feed_registry() needs an app from wstream.sse.sse_app() or an endpoint from "
            f"wstream.sse.stream_events(), got {app!r}"
        )
    return registry


def sse_app(
    client: Client,
    *,
    topics: Sequence[str] | None = None,
    **options: Unpack[EventStreamKeywords],
) -> Starlette:
    """Return an app serving every workflow's stream at ``/{workflow_id}``, for mounting.

    ``app.mount("/streams", sse_app(client))`` serves ``GET /streams/<workflow id>``; the
    events, query parameters and options are those of :func:`stream_events`. Put access
    control (which caller may read which workflow) in front of it, as for any route.
    :func:`feed_registry` reports the app's shared subscriptions.

    Raises:
        ValueError: an option is out of range or ``topics`` is empty.
        TypeError: ``share_subscriptions`` is not a bool, or an option name is unknown.
    """
    endpoint = stream_events(client, topics=topics, **options)
    app = Starlette(routes=[Route(f"/{{{WORKFLOW_ID_PARAM}:path}}", endpoint, methods=["GET"])])
    # One registry per app: the app's connections share feeds with each other only.
    setattr(app.state, _REGISTRY_ATTRIBUTE, feed_registry(endpoint))
    return app
