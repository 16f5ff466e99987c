"""Bases of generated packages: the stream plumbing every typed client and host share.

A generated ``OrdersClient`` or ``OrdersStream`` adds only what its schema decides (one typed
topic handle per topic and a typed ``subscribe``); connecting, batching, offsets and
continue-as-new live here once, so generated code stays short and every package behaves alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, NoReturn

from temporalio.client import Client
from typing_extensions import Self, Unpack

from wstream.client import WorkflowStreamClient
from wstream.options import ClientOptions
from wstream.stream import DEFAULT_PUBLISHER_TTL, WorkflowStream
from wstream.wire import WorkflowStreamState


class TypedStreamClient:
    """Base of a generated client: wraps one ``WorkflowStreamClient``."""

    def __init__(self, raw: WorkflowStreamClient) -> None:
        """Wrap ``raw``; prefer :meth:`create` or :meth:`from_within_activity`."""
        self._raw = raw

    @classmethod
    def create(cls, client: Client, workflow_id: str, **options: Unpack[ClientOptions]) -> Self:
        """Connect to the stream of workflow ``workflow_id`` (following continue-as-new).

        Args:
            client: The Temporal client.
            workflow_id: Id of the workflow hosting the stream.
            **options: See :class:`ClientOptions`.
        """
        return cls(WorkflowStreamClient.create(client, workflow_id, **options))

    @classmethod
    def from_within_activity(cls, **options: Unpack[ClientOptions]) -> Self:
        """Connect to the stream of the workflow that started the current activity.

        Args:
            **options: See :class:`ClientOptions`.

        Raises:
            RuntimeError: not in an activity, or in one with no parent workflow.
        """
        return cls(WorkflowStreamClient.from_within_activity(**options))

    @property
    def raw(self) -> WorkflowStreamClient:
        """The untyped ``WorkflowStreamClient`` underneath."""
        return self._raw

    async def __aenter__(self) -> Self:
        await self._raw.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._raw.__aexit__(exc_type, exc, tb)

    async def flush(self) -> None:
        """Wait until every item published so far is acknowledged by the server."""
        await self._raw.flush()

    async def get_offset(self) -> int:
        """Return the stream's end offset (the offset the next item will take)."""
        return await self._raw.get_offset()


class TypedWorkflowStream:
    """Base of a generated workflow-side stream: hosts one ``WorkflowStream``.

    Construct the subclass in the workflow's ``@workflow.init`` method.
    """

    def __init__(self, prior_state: WorkflowStreamState | None = None) -> None:
        """Host the stream; pass the state carried over continue-as-new, if any."""
        self._raw = WorkflowStream(prior_state)

    @property
    def raw(self) -> WorkflowStream:
        """The untyped ``WorkflowStream`` underneath."""
        return self._raw

    @property
    def base_offset(self) -> int:
        """Offset of the first retained item."""
        return self._raw.base_offset

    @property
    def end_offset(self) -> int:
        """Offset the next item will take."""
        return self._raw.end_offset

    def continue_as_new_suggested(self) -> bool:
        """Whether the workflow should continue-as-new now."""
        return self._raw.continue_as_new_suggested()

    def get_state(self, *, publisher_ttl: timedelta = DEFAULT_PUBLISHER_TTL) -> WorkflowStreamState:
        """Return the state to pass to the next run's constructor."""
        return self._raw.get_state(publisher_ttl=publisher_ttl)

    def detach_pollers(self) -> None:
        """Release waiting subscribers before continuing as new."""
        self._raw.detach_pollers()

    async def continue_as_new(
        self,
        build_args: Callable[[WorkflowStreamState], Sequence[Any]],
        *,
        publisher_ttl: timedelta = DEFAULT_PUBLISHER_TTL,
    ) -> NoReturn:
        """Detach pollers, let handlers finish and continue as new with ``build_args(state)``."""
        await self._raw.continue_as_new(build_args, publisher_ttl=publisher_ttl)

    def truncate(self, up_to_offset: int) -> None:
        """Drop every retained item below ``up_to_offset``."""
        self._raw.truncate(up_to_offset)
