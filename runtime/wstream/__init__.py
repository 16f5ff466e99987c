"""wstream: typed, wire-compatible Temporal Workflow Streams (the runtime)."""

from wstream.client import WorkflowStreamClient
from wstream.codec import ConverterCodec, ModelCodec, PayloadCodec, RawCodec, RootModelCodec
from wstream.errors import (
    BufferFullError,
    ItemDecodeError,
    ItemTooLargeError,
    PayloadTypeError,
    StateTooLargeError,
    StreamNotFoundError,
    WorkflowStreamError,
)
from wstream.item import WorkflowStreamItem
from wstream.options import ClientOptions
from wstream.pages import PollStats
from wstream.stream import WorkflowStream
from wstream.topic_handle import DEFAULT_POLL_COOLDOWN, TopicHandle, WorkflowTopicHandle
from wstream.typed import TypedStreamClient, TypedWorkflowStream
from wstream.wire import (
    PollInput,
    PollResult,
    PublishEntry,
    PublisherState,
    PublishInput,
    WorkflowStreamState,
)

__all__ = [
    "DEFAULT_POLL_COOLDOWN",
    "BufferFullError",
    "ClientOptions",
    "ConverterCodec",
    "ItemDecodeError",
    "ItemTooLargeError",
    "ModelCodec",
    "PayloadCodec",
    "PayloadTypeError",
    "PollInput",
    "PollResult",
    "PollStats",
    "PublishEntry",
    "PublishInput",
    "PublisherState",
    "RawCodec",
    "RootModelCodec",
    "StateTooLargeError",
    "StreamNotFoundError",
    "TopicHandle",
    "TypedStreamClient",
    "TypedWorkflowStream",
    "WorkflowStream",
    "WorkflowStreamClient",
    "WorkflowStreamError",
    "WorkflowStreamItem",
    "WorkflowStreamState",
    "WorkflowTopicHandle",
]
