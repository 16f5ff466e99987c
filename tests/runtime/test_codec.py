"""Codecs: the Pydantic fast path, root models, and errors that name the topic."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field, RootModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter

from wstream.codec import (
    ConverterCodec,
    ModelCodec,
    PayloadCodec,
    RootModelCodec,
    codec_for,
    encode_body,
    encode_for_topic,
)


class Percent(RootModel[Annotated[int, Field(ge=0, le=100)]]):
    pass


class Order(BaseModel):
    order_id: str
    total: Annotated[int, Field(ge=0)]


def test_root_model_codec_validates_and_unwraps() -> None:
    codec = RootModelCodec(Percent)
    payload = codec.encode(42)
    assert payload.data == b"42"
    assert codec.decode(payload) == 42
    with pytest.raises(ValidationError, match=r"publishing to topic 'progress'"):
        encode_for_topic("progress", codec, 150)


def test_model_codec_validates_dicts_and_rejects_other_encodings() -> None:
    codec = ModelCodec(Order)
    assert codec.decode(codec.encode({"order_id": "a", "total": 3})) == Order(order_id="a", total=3)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"Order \(publishing to topic 'orders'\)"):
        encode_for_topic("orders", codec, {"order_id": "a", "total": -1})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="expected a json/plain payload"):
        codec.decode(Payload(metadata={"encoding": b"binary/plain"}, data=b"{}"))


def test_prebuilt_payload_passes_unchanged() -> None:
    payload = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x01")
    assert encode_for_topic("t", ModelCodec(Order), payload) is payload


def test_a_body_is_the_serialized_payload_of_every_codec() -> None:
    """publish() keeps the serialized payload; its shortcut for JSON writes the same bytes."""
    converter = DataConverter.default.payload_converter
    prebuilt = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x01")
    cases: list[tuple[PayloadCodec[Any], Any]] = [
        (ModelCodec(Order), Order(order_id="a", total=3)),
        (ModelCodec(Order), {"order_id": "é", "total": 3}),
        (RootModelCodec(Percent), 42),
        (ConverterCodec(converter, int), 7),
        (ModelCodec(Order), prebuilt),
    ]
    for codec, value in cases:
        body = encode_body("t", codec, value)
        assert body == encode_for_topic("t", codec, value).SerializeToString()
    with pytest.raises(ValidationError, match=r"Order \(publishing to topic 'orders'\)"):
        encode_body("orders", cases[1][0], {"order_id": "a", "total": -1})
    with pytest.raises(ValidationError, match=r"publishing to topic 'progress'"):
        encode_body("progress", RootModelCodec(Percent), 150)


def test_codec_choice_by_type() -> None:
    converter = DataConverter.default.payload_converter
    assert isinstance(codec_for(Order, converter), ModelCodec)
    assert isinstance(codec_for(int, converter), ConverterCodec)
    with pytest.raises(TypeError, match="type=Payload is not supported"):
        codec_for(Payload, converter)


class Shipment(BaseModel):
    zone: str
    address: dict[str, str]
    order: Order


def test_model_codec_writes_what_the_pydantic_converter_writes() -> None:
    # Temporal's Pydantic v2 converter serializes with pydantic-core, in field order; the
    # default converter sorts keys. Both must read what the fast path writes.
    from temporalio.contrib.pydantic import pydantic_data_converter

    value = Shipment(
        zone="eu", address={"street": "x", "city": "y"}, order=Order(order_id="a", total=1)
    )
    payload = ModelCodec(Shipment).encode(value)
    expected = pydantic_data_converter.payload_converter.to_payloads([value])[0]
    assert payload.data == expected.data
    assert payload.metadata == expected.metadata
    for converter in (pydantic_data_converter, DataConverter.default):
        assert converter.payload_converter.from_payloads([payload], [Shipment]) == [value]
