"""Typed payload codecs: how one topic's values become payloads and back."""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar, cast

from pydantic import BaseModel, RootModel, ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.common import RawValue
from temporalio.converter import PayloadConverter

from wstream.errors import PayloadTypeError
from wstream.wire import json_plain_body

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")

_JSON_PLAIN = b"json/plain"


class PayloadCodec(Protocol[T]):
    """Turns the values of one topic into payloads and back."""

    def encode(self, value: T) -> Payload:
        """Return the payload for ``value``; raise if it is not a valid value of the topic."""
        ...

    def decode(self, payload: Payload) -> T:
        """Return the value carried by ``payload``; raise if it does not fit the topic."""
        ...


def _json_payload(data: bytes) -> Payload:
    # Setting the one metadata entry costs a third of passing a dict to the constructor,
    # and a burst builds one payload per publish() call.
    payload = Payload(data=data)
    payload.metadata["encoding"] = _JSON_PLAIN
    return payload


def _require_json(payload: Payload) -> None:
    encoding = payload.metadata.get("encoding", b"")
    if encoding != _JSON_PLAIN:
        raise ValueError(f"expected a json/plain payload, got encoding {encoding!r}")


class ModelCodec(Generic[M]):
    """Pydantic fast path: pydantic-core writes and reads ``json/plain`` bytes directly."""

    def __init__(self, model: type[M]) -> None:
        """Bind the codec to one Pydantic model class."""
        self.model = model

    def encode(self, value: M) -> Payload:
        """Serialize a model instance (a dict is validated into the model first)."""
        return _json_payload(self.encode_json(value))

    def encode_json(self, value: M) -> bytes:
        """Return the JSON :meth:`encode` puts in its payload."""
        if not isinstance(value, self.model):
            value = self.model.model_validate(value)
        return value.__pydantic_serializer__.to_json(value)

    def decode(self, payload: Payload) -> M:
        """Validate the payload's JSON straight into the model."""
        _require_json(payload)
        return self.model.model_validate_json(payload.data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModelCodec) and other.model is self.model

    def __hash__(self) -> int:
        return hash((ModelCodec, self.model))


class RootModelCodec(Generic[R]):
    """Carries plain values (``int``, ``str``, lists, unions) validated by a ``RootModel``.

    Publishing validates the value through the root model, so a schema constraint such as a
    ``minimum`` or ``pattern`` fails at the call site; decoding returns the unwrapped value.
    """

    def __init__(self, model: type[RootModel[R]]) -> None:
        """Bind the codec to one ``RootModel`` class."""
        self.model = model

    def encode(self, value: R) -> Payload:
        """Validate ``value`` through the root model and serialize it."""
        return _json_payload(self.encode_json(value))

    def encode_json(self, value: R) -> bytes:
        """Return the JSON :meth:`encode` puts in its payload."""
        wrapped = self.model.model_validate(value)
        return wrapped.__pydantic_serializer__.to_json(wrapped)

    def decode(self, payload: Payload) -> R:
        """Validate the payload's JSON through the root model and unwrap it."""
        _require_json(payload)
        return self.model.model_validate_json(payload.data).root

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RootModelCodec) and other.model is self.model

    def __hash__(self) -> int:
        return hash((RootModelCodec, self.model))


class ConverterCodec(Generic[T]):
    """Generic path: the client's (or workflow's) payload converter, for any other type."""

    def __init__(self, converter: PayloadConverter, type_hint: type[T] | None) -> None:
        """Bind the codec to a payload converter and the type values decode to."""
        self.converter = converter
        self.type_hint = type_hint

    def encode(self, value: T) -> Payload:
        """Convert ``value`` with the payload converter."""
        return self.converter.to_payloads([value])[0]

    def decode(self, payload: Payload) -> T:
        """Convert ``payload`` to the bound type (``Any`` when none was bound)."""
        return cast(T, self.converter.from_payloads([payload], [self.type_hint or Any])[0])


class RawCodec:
    """Yields items as :class:`temporalio.common.RawValue`, undecoded."""

    def encode(self, value: RawValue) -> Payload:
        """Unwrap a raw value."""
        return value.payload

    def decode(self, payload: Payload) -> RawValue:
        """Wrap a payload without decoding it."""
        return RawValue(payload)


def makes_fresh_payloads(codec: PayloadCodec[Any]) -> bool:
    """Whether ``codec`` builds a new ``Payload`` per value (one wstream may then extend).

    A raw value's payload, or one a custom codec returns, may be the caller's own object.
    """
    return type(codec) in (ModelCodec, RootModelCodec, ConverterCodec)


def encode_body(topic: str, codec: PayloadCodec[T], value: T | Payload) -> bytes:
    """Encode one value of ``topic`` straight to its serialized payload.

    Pydantic codecs write their JSON into a ``json/plain`` payload's bytes directly, with no
    ``Payload`` message built: this is the whole per-item cost of a ``publish()`` call.

    Raises:
        pydantic.ValidationError: the value breaks the topic's schema; its title names the
            topic, so the error says where it happened.
    """
    if type(codec) in _JSON_CODECS and not isinstance(value, Payload):
        try:
            return json_plain_body(cast(Any, codec).encode_json(value))
        except ValidationError as error:
            raise _naming_topic(error, topic) from None
    return encode_for_topic(topic, codec, value).SerializeToString()


#: Codecs whose payloads are ``json/plain`` JSON from :meth:`encode_json` and nothing else.
_JSON_CODECS: tuple[type, ...] = (ModelCodec, RootModelCodec)


def encode_for_topic(topic: str, codec: PayloadCodec[T], value: T | Payload) -> Payload:
    """Encode one value of ``topic``; a pre-built ``Payload`` passes unchanged.

    Raises:
        pydantic.ValidationError: the value breaks the topic's schema; its title names the
            topic, so the error says where it happened.
    """
    if isinstance(value, Payload):
        return value
    try:
        return codec.encode(value)
    except ValidationError as error:
        raise _naming_topic(error, topic) from None


def _naming_topic(error: ValidationError, topic: str) -> ValidationError:
    try:
        return ValidationError.from_exception_data(
            f"{error.title} (publishing to topic {topic!r})",
            cast(Any, error.errors()),
        )
    except Exception:  # an error pydantic cannot rebuild is raised as it was
        return error


def codec_for(
    type_hint: Any, converter: PayloadConverter, *, argument: str = "type"
) -> PayloadCodec[Any]:
    """Choose the codec for a type: Pydantic models take the fast path.

    Args:
        type_hint: The value type (``Any`` for whatever the converter makes of a payload).
        converter: The payload converter for types without a dedicated codec.
        argument: The caller's argument that carried ``type_hint``, named in errors.

    Raises:
        PayloadTypeError: ``type_hint`` is ``Payload``, which is not a value type.
    """
    if type_hint is Payload:
        raise PayloadTypeError(argument)
    if type_hint is RawValue:
        return RawCodec()
    if isinstance(type_hint, type) and issubclass(type_hint, BaseModel):
        return ModelCodec(type_hint)
    return ConverterCodec(converter, None if type_hint is Any else type_hint)
