"""Turn one item's payload into a JSON value, whatever its encoding."""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadConverter


def payload_json(payload: Payload, converter: PayloadConverter) -> Any:
    """Decode a payload to a value ``json.dumps`` accepts.

    JSON payloads become their value, protobuf payloads their JSON mapping, and anything the
    converter cannot turn into JSON (binary data, an unknown or encrypted encoding) an
    object ``{"encoding": ..., "base64": ...}`` so nothing is hidden or fatal.

    Args:
        payload: The item's payload.
        converter: The payload converter of the client (decodes the standard encodings).

    Returns:
        A JSON-compatible value.
    """
    try:
        value = converter.from_payload(payload)
    except Exception:  # unknown encodings and broken data are shown raw instead
        return raw_payload(payload)
    if isinstance(value, Message):
        return MessageToDict(value)
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return raw_payload(payload)
    return value


def raw_payload(payload: Payload) -> dict[str, str]:
    """Show a payload that has no JSON form: its encoding and its bytes in base64.

    Args:
        payload: The payload.

    Returns:
        ``{"encoding": ..., "base64": ...}``.
    """
    encoding = payload.metadata.get("encoding", b"").decode("utf-8", "replace")
    return {"encoding": encoding, "base64": base64.b64encode(payload.data).decode("ascii")}
