"""Reads where an event stream starts and which topics it carries from an HTTP request."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Query parameter naming one topic to receive (repeat it for several).
TOPIC_PARAM = "topic"
#: Query parameter with the first offset to send when the browser has no ``Last-Event-ID``.
FROM_PARAM = "from"
#: Request header a reconnecting ``EventSource`` sends: the offset of the last event it got.
LAST_EVENT_ID = "last-event-id"

_OFFSET = re.compile(r"[0-9]{1,18}")


class BadStreamRequest(ValueError):
    """The request names an offset or topic that cannot be served (answered with 400)."""


@dataclass(frozen=True)
class StreamRequest:
    """What one event-stream request asks for.

    Attributes:
        topics: Topics to send (empty: all topics).
        from_offset: The first offset to send.
    """

    topics: list[str]
    from_offset: int


def _offset(text: str, where: str) -> int:
    if not _OFFSET.fullmatch(text):
        raise BadStreamRequest(
            f"{where} must be a stream offset (a non-negative decimal integer), got {text!r}"
        )
    return int(text)


def start_offset(last_event_id: str | None, from_values: Sequence[str]) -> int:
    """Return the first offset to send.

    A reconnecting browser's ``Last-Event-ID`` wins: the stream resumes right after it, so
    nothing is sent twice and nothing is skipped. Otherwise the ``from`` query parameter, else 0.

    Raises:
        BadStreamRequest: the header or the parameter is not an offset, or ``from`` repeats.
    """
    if last_event_id:  # EventSource sends no header (never an empty one) before any id
        return _offset(last_event_id.strip(), "the Last-Event-ID header") + 1
    if len(from_values) > 1:
        raise BadStreamRequest(
            f"query parameter {FROM_PARAM!r} given {len(from_values)} times; give it once"
        )
    if from_values:
        return _offset(from_values[0], f"query parameter {FROM_PARAM!r}")
    return 0


def requested_topics(values: Sequence[str], served: Sequence[str] | None) -> list[str]:
    """Return the topics to send: those asked for, within those the endpoint serves.

    Args:
        values: The values of the repeated ``topic`` query parameter.
        served: The topics the endpoint is limited to, or ``None`` for any topic.

    Raises:
        BadStreamRequest: a value is empty or names a topic the endpoint does not serve.
    """
    for value in values:
        if not value:
            raise BadStreamRequest(f"query parameter {TOPIC_PARAM!r} must not be empty")
        if served is not None and value not in served:
            raise BadStreamRequest(
                f"topic {value!r} is not served by this endpoint; it serves {list(served)!r}"
            )
    if values:
        return list(dict.fromkeys(values))  # repeated names once, first-seen order
    return list(served) if served is not None else []


def parse_request(
    query: Sequence[tuple[str, str]], last_event_id: str | None, served: Sequence[str] | None
) -> StreamRequest:
    """Return what a request asks for from its query pairs and ``Last-Event-ID`` header.

    Raises:
        BadStreamRequest: see :func:`start_offset` and :func:`requested_topics`.
    """
    topics = [value for key, value in query if key == TOPIC_PARAM]
    from_values = [value for key, value in query if key == FROM_PARAM]
    return StreamRequest(
        topics=requested_topics(topics, served),
        from_offset=start_offset(last_event_id, from_values),
    )
