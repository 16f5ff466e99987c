"""Exceptions the stream raises, each naming what went wrong and where."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.exceptions import ApplicationError
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
    """The workflow does not exist, or it hosts no workflow stream."""


@contextmanager
def stream_errors(workflow_id: str) -> Iterator[None]:
    """Turn "no such workflow" and "no stream handlers" failures into ``StreamNotFoundError``."""
    try:
        yield
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise StreamNotFoundError(
                f"workflow {workflow_id!r} not found: {error.message}"
            ) from error
        raise
    except (WorkflowQueryFailedError, WorkflowQueryRejectedError) as error:
        text = str(error)
        if "not found" in text or "unknown queryType" in text:
            raise StreamNotFoundError(
                f"workflow {workflow_id!r} hosts no workflow stream: {text}"
            ) from error
        raise


class StateTooLargeError(ApplicationError):
    """The stream state would not fit in one continue-as-new payload."""

    def __init__(self, size: int, limit: int, truncate_to: int) -> None:
        super().__init__(
            f"workflow stream state is {size:,} bytes, over the {limit:,} byte payload "
            f"limit for continue-as-new; call truncate({truncate_to}) (or later) first",
            type="WorkflowStreamStateTooLarge",
            non_retryable=True,
        )
        self.size = size
        self.limit = limit
        self.truncate_to = truncate_to
