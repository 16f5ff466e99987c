"""A stream-hosting workflow that closes on request: completes, fails, or waits to be terminated."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from wstream import WorkflowStream

#: How a test asks :class:`CloseOnRequest` to close (terminate is done from the client).
COMPLETE = "complete"
FAIL = "fail"


@workflow.defn
class CloseOnRequest:
    """Hosts a stream until the ``close`` signal says how to end."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()
        self.how: str | None = None

    @workflow.signal
    def close(self, how: str) -> None:
        self.how = how

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.how is not None)
        if self.how == FAIL:
            raise ApplicationError("closed by the test (fail)", non_retryable=True)
        return self.stream.end_offset
