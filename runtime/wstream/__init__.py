"""wstream: typed, wire-compatible Temporal Workflow Streams (the runtime)."""

from wstream.client import WorkflowStreamClient
from wstream.codec import ConverterCodec, ModelCodec, PayloadCodec, RawCodec, RootModelCodec
from wstream.errors import (
    BufferFullError,
    ItemDecodeError,
    ItemTooLargeError,
    StateTooLargeError,
    StreamNotFoundError,
    WorkflowStreamError,
)
from wstream.item import WorkflowStreamItem
from wstream.pages import PollStats
from wstream.stream import WorkflowStream
from wstream.topic_handle import TopicHandle, WorkflowTopicHandle
from wstream.typed import ClientOptions, TypedStreamClient, TypedWorkflowStream
from wstream.wire import PublisherState, WorkflowStreamState

__all__ = [
    "BufferFullError",
    "ClientOptions",
    "ConverterCodec",
    "ItemDecodeError",
    "ItemTooLargeError",
    "ModelCodec",
    "PayloadCodec",
    "PollStats",
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
