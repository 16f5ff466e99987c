"""One JSON view of an item's payload, the same in ``wstream tail`` and the SSE bridge."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from wstream.item import WorkflowStreamItem


def payload_json(payload: Payload, converter: PayloadConverter) -> Any:
    """Decode a payload to a value of strict JSON (what ``JSON.parse`` and ``jq`` accept).

    JSON payloads become their value, protobuf payloads their JSON mapping, and anything
    else (binary data, an unknown or encrypted encoding, NaN or an infinity, which JSON
    cannot carry) the object of :func:`raw_payload`: nothing is hidden, nothing is fatal.

    Args:
        payload: The item's payload.
        converter: The payload converter of the client (decodes the standard encodings).

    Returns:
        A value ``json.dumps(..., allow_nan=False)`` accepts.
    """
    try:
        value = converter.from_payload(payload)
    except Exception:  # unknown encodings and broken data are shown raw instead
        return raw_payload(payload)
    if isinstance(value, Message):
        return MessageToDict(value)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return raw_payload(payload)
    return value


def raw_payload(payload: Payload) -> dict[str, str]:
    """Show a payload that has no JSON form: its encoding and its bytes in base64.

    Args:
        payload: The payload.

    Returns:
        ``{"encoding": ..., "base64": ...}`` (standard base64, which ``atob`` reads).
    """
    encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
    return {"encoding": encoding, "base64": base64.b64encode(payload.data).decode("ascii")}


class JsonViewCodec:
    """Decodes every item to its JSON view (:func:`payload_json`); a page reader's codec."""

    def __init__(self, converter: PayloadConverter) -> None:
        """Decode with ``converter``."""
        self._converter = converter

    def encode(self, value: Any) -> Payload:
        """Write a JSON value as the converter would."""
        return self._converter.to_payloads([value])[0]

    def decode(self, payload: Payload) -> Any:
        """Return the payload's JSON view."""
        return payload_json(payload, self._converter)


async def json_items(
    items: AsyncIterator[WorkflowStreamItem[RawValue]], converter: PayloadConverter
) -> AsyncIterator[WorkflowStreamItem[Any]]:
    """Turn a raw subscription into items whose data is their JSON view.

    Closing this iterator closes ``items``, so the subscription stops polling at once.
    """
    try:
        async for item in items:
            view = payload_json(item.data.payload, converter)
            yield WorkflowStreamItem(item.topic, view, item.offset)
    finally:
        closer = getattr(items, "aclose", None)
        if closer is not None:
            await closer()
