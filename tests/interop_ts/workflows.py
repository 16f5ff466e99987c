"""The Python side's host: a workflow holding the generated orders stream until told to finish.

A module of its own so that Temporal's sandbox can re-import it for every workflow run.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orders import OrdersStream


@workflow.defn
class OrdersHostWorkflow:
    """Hosts the orders stream (wstream's ``WorkflowStream`` under the generated wrapper)."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = OrdersStream()
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        """End the run; the stream's items stay readable until then."""
        self.finish = True

    @workflow.run
    async def run(self) -> int:
        """Wait for ``finish_now``, then return the stream's end offset."""
        await workflow.wait_condition(lambda: self.finish)
        return self.stream.end_offset
