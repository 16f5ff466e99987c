"""One type per topic name: the binding table shared by clients and workflow streams."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio.converter import PayloadConverter

from wstream.codec import PayloadCodec, codec_for


def value_type(type_hint: Any) -> Any:
    """The type a topic binds: ``None`` (the official module's default) means ``Any``."""
    return Any if type_hint is None else type_hint


def _type_name(type_hint: Any) -> str:
    return getattr(type_hint, "__qualname__", None) or repr(type_hint)


class TopicBindings:
    """Remembers the type and codec bound to each topic name and refuses rebinding."""

    def __init__(self, converter: Callable[[], PayloadConverter]) -> None:
        """Use ``converter`` (called lazily) for types without a dedicated codec."""
        self._converter = converter
        self._bound: dict[str, tuple[Any, PayloadCodec[Any]]] = {}
        self._fallback: PayloadCodec[Any] | None = None

    def bind(self, name: str, type_hint: Any, codec: PayloadCodec[Any] | None) -> PayloadCodec[Any]:
        """Bind ``name`` to ``type_hint`` (idempotent) and return its codec.

        ``None`` stands for ``Any``, as the official module's ``type=None`` default does.

        Raises:
            PayloadTypeError: ``type_hint`` is ``Payload`` (a ``RuntimeError`` and a
                ``TypeError``).
            RuntimeError: ``name`` is already bound to a different type or codec.
            ValueError: ``name`` is empty.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"topic name must be a non-empty string, got {name!r}")
        type_hint = value_type(type_hint)
        chosen = codec if codec is not None else codec_for(type_hint, self._converter())
        existing = self._bound.get(name)
        if existing is not None:
            old_type, old_codec = existing
            if old_type != type_hint or (codec is not None and old_codec != codec):
                raise RuntimeError(
                    f"topic {name!r} is already bound to type {_type_name(old_type)}; "
                    f"refusing to rebind it to {_type_name(type_hint)}. Bind one type per "
                    "topic, or omit type (Any) for a topic that carries mixed values"
                )
            return old_codec
        self._bound[name] = (type_hint, chosen)
        return chosen

    def unbound_codec(self, type_hint: Any) -> PayloadCodec[Any]:
        """The codec for ``type_hint`` without binding it to any topic name.

        Raises:
            PayloadTypeError: ``type_hint`` is ``Payload``.
        """
        return codec_for(value_type(type_hint), self._converter())

    def codec(self, name: str) -> PayloadCodec[Any]:
        """The codec bound to ``name``, or the converter's codec for ``Any``."""
        existing = self._bound.get(name)
        if existing is not None:
            return existing[1]
        if self._fallback is None:
            self._fallback = codec_for(Any, self._converter())
        return self._fallback
