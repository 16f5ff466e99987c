"""Workflows and a worker interceptor for the signal sender's tests (sandbox-safe)."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.worker import (
    HandleSignalInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

#: Header a test client interceptor puts on every signal.
TEST_HEADER = "wstream-test-header"
#: Iterations of deterministic busy work that keep the closing workflow task long enough
#: (a few tenths of a second) for a signal to arrive during it, and during its replay.
_SPIN = 3_000_000


@workflow.defn
class SlowCloseWorkflow:
    """Completes through a slow workflow task once told to, counting pings until then."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.pings = 0
        self.closing = False
        #: Values of :data:`TEST_HEADER` on the signals received (set by the interceptor).
        self.headers: list[str] = []

    @workflow.signal
    def ping(self, _value: RawValue) -> None:
        """Count one ping."""
        self.pings += 1

    @workflow.signal
    def close(self) -> None:
        """Complete at the next workflow task, which is slow."""
        self.closing = True

    @workflow.query
    def seen_headers(self) -> list[str]:
        """The test header's values, in the order the signals came."""
        return self.headers

    @workflow.run
    async def run(self) -> int:
        """Wait for ``close``, work a while, and complete (a close command)."""
        await workflow.wait_condition(lambda: self.closing)
        total = 0
        for i in range(_SPIN):
            total += i & 7
        workflow.logger.debug("busy work done: %d", total)
        return self.pings


class HeaderRecorder(Interceptor):
    """Worker interceptor: records :data:`TEST_HEADER` of each signal on the workflow."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        """The inbound interceptor class below."""
        return _RecordHeaders


class _RecordHeaders(WorkflowInboundInterceptor):
    async def handle_signal(self, input: HandleSignalInput) -> None:
        header = input.headers.get(TEST_HEADER)
        # By attribute, not isinstance: the sandbox imports the workflow's class anew.
        headers: Any = getattr(workflow.instance(), "headers", None)
        if header is not None and isinstance(headers, list):
            headers.append(header.data.decode())
        await super().handle_signal(input)
