"""Exceptions the stream raises, each naming what went wrong and where."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.service import RPCError, RPCStatusCode

#: ApplicationError type of a poll update that asked for a truncated offset.
TRUNCATED_OFFSET: str = "TruncatedOffset"
#: ApplicationError type of a poll update rejected while the run prepares to continue-as-new.
STREAM_DRAINING: str = "StreamDraining"
#: ApplicationError type of a ``truncate`` whose offset lies outside the retained log.
TRUNCATE_OUT_OF_RANGE: str = "TruncateOutOfRange"
#: ApplicationError type of a wstream notify poll turned away because enough pollers wait.
POLLERS_BUSY: str = "WorkflowStreamPollersBusy"


class WorkflowStreamError(Exception):
    """Base class of every error raised by wstream itself."""


class ItemTooLargeError(WorkflowStreamError, ValueError):
    """An item is larger than one batch may ever be, so it could never be sent."""

    def __init__(self, topic: str, size: int, limit: int) -> None:
        super().__init__(
            f"item on topic {topic!r} is {size:,} bytes encoded, over the batch limit of "
            f"{limit:,} bytes (max_batch_bytes); publish smaller items or store the data "
            "elsewhere and publish a reference"
        )
        self.topic = topic
        self.size = size
        self.limit = limit


class PayloadTypeError(WorkflowStreamError, RuntimeError, TypeError):
    """``Payload`` was given as a topic's value type or as a subscription's result type.

    A ``RuntimeError``, as the official module raises for this misuse, and a ``TypeError``,
    as it is one.
    """

    def __init__(self, argument: str) -> None:
        super().__init__(
            f"{argument}=Payload is not supported: a Payload is a wire envelope, not a value "
            f"type, and the payload converter cannot decode to it. Use "
            f"{argument}=temporalio.common.RawValue to receive raw payloads; a pre-built "
            "Payload may be published as is on any topic handle"
        )
        self.argument = argument


class BufferFullError(WorkflowStreamError):
    """The client's publish buffer is at its bound; use ``publish_wait`` to wait for room."""

    def __init__(self, topic: str, items: int, size: int, max_items: int, max_bytes: int) -> None:
        super().__init__(
            f"publish buffer full while publishing to topic {topic!r}: {items:,} items / "
            f"{size:,} bytes buffered (bounds: max_buffer_items={max_items:,}, "
            f"max_buffer_bytes={max_bytes:,}); the server may be unreachable. "
            "Await `publish_wait(...)` to wait for room, or raise the bounds"
        )
        self.topic = topic


class ItemDecodeError(WorkflowStreamError):
    """An item on the wire could not be decoded into the type bound to its topic."""

    def __init__(self, topic: str, offset: int, payload: Payload, cause: BaseException) -> None:
        super().__init__(
            f"item at offset {offset} on topic {topic!r} does not decode as the subscribed "
            f"type: {cause}. Subscribe with result_type=temporalio.common.RawValue to "
            f"receive it raw, or resume from offset {offset + 1}"
        )
        self.topic = topic
        self.offset = offset
        self.payload = payload


class StreamNotFoundError(WorkflowStreamError):
    """The workflow does not exist, has closed, or hosts no workflow stream.

    Attributes:
        workflow_gone: ``True`` when the workflow does not exist or has closed, so nothing
            can ever be published to it again; ``False`` when it is running but hosts no
            stream.
    """

    def __init__(self, message: str, *, workflow_gone: bool = False) -> None:
        """Carry the message, and whether the workflow itself is gone."""
        super().__init__(message)
        self.workflow_gone = workflow_gone


@contextmanager
def stream_errors(workflow_id: str) -> Iterator[None]:
    """Turn "no such workflow" and "no stream handlers" failures into ``StreamNotFoundError``."""
    try:
        yield
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise StreamNotFoundError(
                f"workflow {workflow_id!r} not found: {error.message}", workflow_gone=True
            ) from error
        raise
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        text = str(error)
        if "not found" in text or "unknown queryType" in text:
            raise StreamNotFoundError(
                f"workflow {workflow_id!r} hosts no workflow stream: {text}"
            ) from error
        raise


class StateTooLargeError(WorkflowStreamError):
    """The stream state would not fit in one continue-as-new payload.

    The log never causes it (sealed runs keep their items); only a dedup table of tens of
    thousands of publishers within ``publisher_ttl`` does. It is not an ``ApplicationError``
    on purpose: raised in workflow code it fails the workflow task, which Temporal retries,
    so a deployed fix (a shorter ``publisher_ttl``) rescues the workflow instead of it
    failing for good.
    """

    def __init__(self, size: int, limit: int, publishers: int) -> None:
        super().__init__(
            f"workflow stream state is {size:,} bytes, over the {limit:,} byte payload limit "
            f"for continue-as-new, because it remembers {publishers:,} publishers; pass a "
            "shorter publisher_ttl to get_state / continue_as_new (above every client's "
            "max_retry_duration)"
        )
        self.size = size
        self.limit = limit
        self.publishers = publishers
