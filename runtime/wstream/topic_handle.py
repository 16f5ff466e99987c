"""Typed handles for one topic: publish and subscribe with a single value type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from temporalio.api.common.v1 import Payload

from wstream.codec import PayloadCodec, encode_for_topic
from wstream.item import WorkflowStreamItem

if TYPE_CHECKING:
    from wstream.client import WorkflowStreamClient
    from wstream.stream import WorkflowStream

T = TypeVar("T")

#: Pause between poll queries while items flow. The official module waits 100 ms between
#: polls because each of its polls is an update written to history; wstream's tail polls
#: are queries, which write nothing, so it can ask sooner (and slows down by itself when
#: answers come back empty, see ``wstream.tail_pace``).
DEFAULT_POLL_COOLDOWN = timedelta(milliseconds=20)


class _BoundTopic(Generic[T]):
    """What both handle kinds share: a topic name bound to one value type and its codec."""

    def __init__(self, name: str, type: type[T], codec: PayloadCodec[T]) -> None:
        self._name = name
        self._type = type
        self._codec = codec

    @property
    def name(self) -> str:
        """The wire name of the topic."""
        return self._name

    @property
    def type(self) -> type[T]:
        """The value type bound to the topic."""
        return self._type

    @property
    def codec(self) -> PayloadCodec[T]:
        """The codec that encodes and decodes this topic's values."""
        return self._codec


class TopicHandle(_BoundTopic[T]):
    """A client's typed view of one topic, made by :meth:`WorkflowStreamClient.topic`."""

    def __init__(
        self,
        client: WorkflowStreamClient,
        name: str,
        type: type[T],
        codec: PayloadCodec[T] | None = None,
    ) -> None:
        """Bind the handle directly; prefer ``WorkflowStreamClient.topic``.

        Only ``topic`` checks that a topic keeps one type on its client.

        Args:
            client: The client publishing and subscribing.
            name: The topic's wire name.
            type: The value type.
            codec: The codec (default: the one the client chooses for ``type``).
        """
        super().__init__(
            name, type, codec if codec is not None else client._bindings.unbound_codec(type)
        )
        self._client = client

    def publish(self, value: T | Payload, *, force_flush: bool = False) -> None:
        """Encode ``value`` now and buffer it for the next batch.

        Args:
            value: The item; a pre-built ``Payload`` is sent unchanged.
            force_flush: Wake the background flusher to send without waiting for
                ``batch_interval``.

        Raises:
            pydantic.ValidationError: ``value`` breaks the topic's schema.
            ItemTooLargeError: the encoded item can never fit in one batch.
            BufferFullError: the buffer is at its bound (see :meth:`publish_wait`).
            StreamNotFoundError: the workflow is known to have closed (or not to exist), so
                the item could never be delivered.
        """
        self._client._publish(self._name, self._codec, value, force_flush=force_flush)

    async def publish_wait(self, value: T | Payload, *, force_flush: bool = False) -> None:
        """Like :meth:`publish`, but wait for buffer room instead of raising ``BufferFullError``.

        Raises:
            StreamNotFoundError: the workflow closed (or does not exist), before or while
                waiting for room.
        """
        await self._client._publish_wait(self._name, self._codec, value, force_flush=force_flush)

    def subscribe(
        self,
        from_offset: int = 0,
        *,
        poll_cooldown: timedelta = DEFAULT_POLL_COOLDOWN,
    ) -> AsyncIterator[WorkflowStreamItem[T]]:
        """Follow this topic from ``from_offset``, yielding typed items.

        See :meth:`WorkflowStreamClient.subscribe` for how the stream is followed.
        """
        return self._client._subscribe_codecs(
            [self._name], from_offset, {self._name: self._codec}, None, poll_cooldown
        )


class WorkflowTopicHandle(_BoundTopic[T]):
    """The workflow's typed view of one topic, made by :meth:`WorkflowStream.topic`."""

    def __init__(
        self,
        stream: WorkflowStream,
        name: str,
        type: type[T],
        codec: PayloadCodec[T] | None = None,
    ) -> None:
        """Bind the handle directly; prefer ``WorkflowStream.topic``.

        Only ``topic`` checks that a topic keeps one type on its stream.

        Args:
            stream: The workflow's stream.
            name: The topic's wire name.
            type: The value type.
            codec: The codec (default: the one the stream chooses for ``type``).
        """
        super().__init__(
            name, type, codec if codec is not None else stream._bindings.unbound_codec(type)
        )
        self._stream = stream

    def publish(self, value: T | Payload) -> None:
        """Append ``value`` to the stream's log at once (it is durable with the workflow).

        Raises:
            pydantic.ValidationError: ``value`` breaks the topic's schema.
        """
        self._stream._append(self._name, encode_for_topic(self._name, self._codec, value))


def describe_type(type_hint: Any) -> str:
    """Return a readable name of a bound type for error messages."""
    return getattr(type_hint, "__qualname__", None) or repr(type_hint)
