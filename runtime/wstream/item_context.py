"""What an item carries besides its value: the publisher's trace context and publish time.

Both travel as entries of the item's own ``Payload.metadata``, inside the wire format every
implementation already carries unchanged (``data`` is the serialized payload): the
workflow, official hosts included, stores them with the item, and official subscribers'
payload converters ignore metadata keys they do not know.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

from temporalio.api.common.v1 import Payload

#: W3C Trace Context ``traceparent`` of the span that was current at ``publish()``.
TRACEPARENT_KEY = "traceparent"
#: Milliseconds since the Unix epoch at ``publish()``, as ASCII digits.
PUBLISHED_AT_KEY = "wstream-published-at"


def stamp(payload: Payload, traceparent: str | None, stamp_time: bool, *, own: bool) -> Payload:
    """Return ``payload`` with the trace context and publish time added.

    Args:
        payload: The item's payload.
        traceparent: The trace context to add, if any.
        stamp_time: Whether to add the publish time (now).
        own: Whether the payload was just made for this item and may be changed in place;
            a caller's own ``Payload`` is copied first, never changed.
    """
    if traceparent is None and not stamp_time:
        return payload
    if own:
        stamped = payload
    else:
        stamped = Payload()
        stamped.CopyFrom(payload)
    if traceparent is not None:
        stamped.metadata[TRACEPARENT_KEY] = traceparent.encode("ascii")
    if stamp_time:
        stamped.metadata[PUBLISHED_AT_KEY] = str(time.time_ns() // 1_000_000).encode("ascii")
    return stamped


def traceparent_of(payload: Payload) -> str | None:
    """The trace context an item was published under, if it carries a readable one."""
    value = payload.metadata.get(TRACEPARENT_KEY)
    if value is None:
        return None
    try:
        return value.decode("ascii")
    except UnicodeDecodeError:
        return None


def published_at_of(payload: Payload) -> datetime | None:
    """When an item was published, if it carries a readable time stamp."""
    value = payload.metadata.get(PUBLISHED_AT_KEY)
    if value is None or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
