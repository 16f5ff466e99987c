"""Text of Server-Sent Events frames: one stream item, keep-alive, retry, end and error."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from wstream.item import WorkflowStreamItem

#: Event name of the last frame of a stream whose workflow has ended.
END_EVENT = "wstream-end"
#: Event name of the last frame of a stream that failed on the server.
ERROR_EVENT = "wstream-error"
#: The comment line sent while the stream is quiet, so proxies keep the connection open.
KEEP_ALIVE_FRAME = ": keep-alive\n\n"


class UnencodableItemError(ValueError):
    """A decoded item value has no JSON form."""

    def __init__(self, item: WorkflowStreamItem[Any], cause: Exception) -> None:
        super().__init__(
            f"item at offset {item.offset} on topic {item.topic!r} has no JSON form for "
            f"Server-Sent Events: {cause}"
        )
        self.topic = item.topic
        self.offset = item.offset


def to_json_line(value: Any) -> str:
    """Return ``value`` as compact JSON on one line (NaN and infinities refused).

    Raises:
        TypeError: the value has no JSON form.
        ValueError: the value holds NaN or an infinity, which JSON.parse would reject.
    """
    # Without indentation the encoder escapes every line break inside strings, so the
    # result is always a single line: exactly one `data:` line per event.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _field_value(text: str) -> str:
    # A line break would end the field early and corrupt the frame. Topic names are the only
    # field text that is not ours, and the runtime does not forbid line breaks in them.
    return text.replace("\r", "\\r").replace("\n", "\\n")


def item_frame(item: WorkflowStreamItem[Any]) -> str:
    """Return the frame of one item: ``id:`` its offset, ``event:`` its topic, ``data:`` JSON.

    The bridge hands it items whose data is already their JSON view (``wstream.json_view``,
    as ``wstream tail`` prints them), so every item has a frame.

    Raises:
        UnencodableItemError: the item's value has no JSON form.
    """
    try:
        data = to_json_line(item.data)
    except (TypeError, ValueError) as error:
        raise UnencodableItemError(item, error) from error
    return f"id: {item.offset}\nevent: {_field_value(item.topic)}\ndata: {data}\n\n"


def retry_frame(retry: timedelta) -> str:
    """Return the frame telling the browser how long to wait before reconnecting."""
    return f"retry: {round(retry.total_seconds() * 1000)}\n\n"


def end_frame(end_offset: int) -> str:
    """Return the final frame of a stream whose workflow ended, carrying its end offset."""
    return f"event: {END_EVENT}\ndata: {to_json_line({'end_offset': end_offset})}\n\n"


def error_frame(message: str) -> str:
    """Return the final frame of a stream that failed on the server."""
    return f"event: {ERROR_EVENT}\ndata: {to_json_line({'error': message})}\n\n"
