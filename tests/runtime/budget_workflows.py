"""A stream-hosting workflow that waits for the stream's continue-as-new suggestion."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from wstream import WorkflowStream


@workflow.defn
class BudgetWorkflow:
    """Runs until its stream suggests continuing as new, then reports what it had counted."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()

    @workflow.query
    def suggested(self) -> bool:
        """Whether the stream suggests continuing as new now."""
        return self.stream.continue_as_new_suggested()

    @workflow.run
    async def run(self) -> list[int]:
        """Return ``[signals, updates, Temporal's own suggestion (0/1)]`` of this run."""
        # One item, so a poll from offset 0 is answered at once.
        self.stream.topic("t", type=int).publish(0)
        await workflow.wait_condition(self.stream.continue_as_new_suggested)
        return [
            self.stream.signals_this_run,
            self.stream.updates_this_run,
            int(workflow.info().is_continue_as_new_suggested()),
        ]
