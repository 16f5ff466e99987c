"""Holds a publisher back while the workflow's run cannot finish continuing as new."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from temporalio.client import (
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
)
from temporalio.service import RPCError

from wstream.wire import CLOSING_MEMO, HOLDING_SIGNAL

logger = logging.getLogger(__name__)

#: Publish bytes between two looks at the run (one describe call each).
CHECK_EVERY_BYTES = 1024 * 1024
#: History size from which a failing workflow task is read as a run trying to continue as
#: new (Temporal suggests it at 4 MB).
LARGE_RUN_BYTES = 4 * 1000 * 1000
#: History size from which a publisher holds back in any case: Temporal warns at 10 MB of
#: history and terminates a run at 50 MB. A run lives at least a second (Temporal's
#: continue-as-new minimum interval), and one publisher at full speed writes ~25 MB of
#: history in it here: holding at 20 MB cut every run short and the stream's sustained rate
#: to ~0.75x its burst; at 28 MB runs end at 25-27 MB on their own, with 22 MB to spare.
HOLD_AT_BYTES = 28 * 1000 * 1000
#: Longest hold; then publishing goes on whatever the run does.
MAX_HOLD_SECONDS = 10.0
_POLL_SECONDS = 0.05


def _starving(description: WorkflowExecutionDescription) -> bool:
    """Whether the run looks unable to complete its workflow task under incoming signals."""
    if description.status != WorkflowExecutionStatus.RUNNING:
        return False
    size = description.raw_description.workflow_execution_info.history_size_bytes
    attempt = description.raw_description.pending_workflow_task.attempt
    return size >= HOLD_AT_BYTES or (attempt >= 2 and size >= LARGE_RUN_BYTES)


async def _closing(description: WorkflowExecutionDescription) -> bool:
    """Whether a wstream workflow has announced that this run is about to continue as new."""
    if description.status != WorkflowExecutionStatus.RUNNING:
        return False
    if CLOSING_MEMO not in description.raw_description.workflow_execution_info.memo.fields:
        return False
    try:
        closing = await description.memo_value(CLOSING_MEMO, None, type_hint=str)
    except Exception:  # a memo this client cannot decode is not ours to read
        return False
    # The next run inherits the memo; only the run it names is closing.
    return closing == description.run_id


class RunWatch:
    """Pauses publishing while the current run continues as new.

    A run continues as new only through a workflow task that completes with no signal
    received meanwhile; otherwise the server fails the task and the worker replays the
    whole run, which takes longer the larger the run. Under a steady flow of publish
    signals that never succeeds, and the run grows until Temporal terminates it at 50 MB
    (seen at ~13 MB/s of publishing). So every :data:`CHECK_EVERY_BYTES` sent, the
    publisher looks at the run; while its task keeps failing and the run is large, it waits
    for the next run (at most :data:`MAX_HOLD_SECONDS`), which gives the task its quiet
    moment. A wstream workflow also says so before it tries (its memo names the closing
    run): the publisher then answers that it holds (a signal after its last batch to that
    run) and holds, and the run continues as new on the answer, so the first try meets no
    signal of this publisher. Nothing is dropped: held batches are sent after the wait.
    """

    def __init__(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Watch the run that ``handle`` (an id-only handle: the latest run) reaches."""
        self._handle = handle
        self._sent = 0
        #: Times publishing was held, and seconds spent holding.
        self.holds = 0
        self.held_seconds = 0.0

    async def before_send(self, size: int) -> None:
        """Account for ``size`` bytes about to be sent; wait first if the run is starving."""
        self._sent += size
        if self._sent < CHECK_EVERY_BYTES or self._handle.run_id is not None:
            return
        self._sent = 0
        description = await self._describe()
        if description is None:
            return
        run_id = description.run_id
        answered = await self._answer_if_closing(description)
        if not answered and not _starving(description):
            return
        started = time.monotonic()
        self.holds += 1
        logger.debug(
            "workflow stream %s: run %s is continuing as new; holding publishes",
            self._handle.id,
            run_id,
        )
        while time.monotonic() - started < MAX_HOLD_SECONDS:
            await asyncio.sleep(_POLL_SECONDS)
            description = await self._describe()
            if (
                description is None
                or description.run_id != run_id
                or description.status != WorkflowExecutionStatus.RUNNING
            ):
                break
            if not answered:
                # Held for a large run, which may now announce that it is closing.
                answered = await self._answer_if_closing(description)
        self.held_seconds += time.monotonic() - started

    async def _answer_if_closing(self, description: WorkflowExecutionDescription) -> bool:
        """Answer a run that announced its close (this publisher holds from now on)."""
        if not await _closing(description):
            return False
        # Everything this publisher sent to the run is in: the answer lets it close. The run
        # may have closed meanwhile, or the server be away; the hold ends either way.
        with contextlib.suppress(RPCError):
            await self._handle.signal(HOLDING_SIGNAL, description.run_id)
        return True

    async def _describe(self) -> WorkflowExecutionDescription | None:
        try:
            return await self._handle.describe()
        except RPCError:
            return None  # the send itself will meet whatever is wrong
