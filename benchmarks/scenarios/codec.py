"""Scenario 7: µs per item to encode and decode a generated Pydantic model.

wstream's path (``ModelCodec``: pydantic-core straight to and from JSON bytes) against the
payload-converter path the official client takes (``to_payloads`` / ``from_payload``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from wstream import ModelCodec

GENERATED = Path(__file__).resolve().parents[2] / "generated"


def _model() -> tuple[type[Any], Any]:
    """The generated ``orders`` Status model (nested Money) and one value of it."""
    if str(GENERATED) not in sys.path:
        sys.path.insert(0, str(GENERATED))
    from orders.models import Money, Status

    return Status, Status(
        order_id="order-00012345", state="paid", total=Money(amount=129_900, currency="EUR")
    )


def _per_item_us(fn: Any, arg: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn(arg)
    return (time.perf_counter() - start) / n * 1e6


def run(impl_name: str, n: int) -> dict[str, Any]:
    """One repetition for ``wstream`` or ``official`` (the converter path)."""
    model, value = _model()
    encode: Callable[[Any], Payload]
    decode: Callable[[Payload], Any]
    if impl_name == "wstream":
        codec = ModelCodec(model)
        encode, decode = codec.encode, codec.decode
    else:
        converter = DataConverter.default.payload_converter

        def encode(v: Any) -> Payload:
            return converter.to_payloads([v])[0]

        def decode(p: Payload) -> Any:
            return converter.from_payload(p, model)

    payload = encode(value)
    if decode(payload) != value:
        raise AssertionError(f"{impl_name} codec does not round-trip")
    _per_item_us(encode, value, n // 10)  # warm up
    return {
        "encode_us": _per_item_us(encode, value, n),
        "decode_us": _per_item_us(decode, payload, n),
    }
