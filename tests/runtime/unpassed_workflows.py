"""A workflow importing wstream inside the sandbox (not passed through), as a user might."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

from wstream import WorkflowStream, WorkflowStreamState


@dataclass
class CarryInput:
    """Arguments of CarryWorkflow: the carried stream state and which run this is."""

    stream_state: WorkflowStreamState | None = None
    second_run: bool = False


@workflow.defn
class CarryWorkflow:
    """Publishes, continues as new on request, and reports the end offset of the next run."""

    @workflow.init
    def __init__(self, args: CarryInput) -> None:
        self.stream = WorkflowStream(prior_state=args.stream_state)
        self.cut = False

    @workflow.signal
    def request_continue_as_new(self) -> None:
        self.cut = True

    @workflow.run
    async def run(self, args: CarryInput) -> int:
        if args.second_run:
            return self.stream.end_offset
        self.stream.topic("t", type=int).publish(5)
        await workflow.wait_condition(lambda: self.cut)
        await self.stream.continue_as_new(lambda state: [CarryInput(state, True)])
