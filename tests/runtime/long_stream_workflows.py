"""A workflow that hosts a long stream with the README's continue-as-new pattern (sandboxed)."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from wstream import WorkflowStream, WorkflowStreamState
    from wstream.wire import SealedSegment


@dataclass
class LongInput:
    """Arguments of one run of the chain; the budgets are lowered so tests run in seconds."""

    state: WorkflowStreamState | None = None
    run_log_bytes: int = 256 * 1024
    tail_bytes: int = 16 * 1024
    segments_carried: int = 2
    run: int = 0


@workflow.defn
class LongStreamWorkflow:
    """Hosts a stream until told to finish, continuing as new whenever the stream suggests it.

    Each run publishes a mark when it starts and another right before it continues as new,
    so tests see workflow-side items on both sides of every boundary.
    """

    @workflow.init
    def __init__(self, args: LongInput) -> None:
        self.stream = WorkflowStream(
            args.state,
            max_run_log_bytes=args.run_log_bytes,
            carry_tail_bytes=args.tail_bytes,
            max_segments_carried=args.segments_carried,
        )
        self.marks = self.stream.topic("marks", type=str)
        self.done = False
        self.run_number = args.run

    @workflow.signal
    def finish(self) -> None:
        self.done = True

    @workflow.query
    def current_run(self) -> int:
        return self.run_number

    @workflow.query
    def segments(self) -> list[SealedSegment]:
        return self.stream.sealed_segments

    @workflow.run
    async def run(self, args: LongInput) -> int:
        self.marks.publish(f"run {args.run} started")
        await workflow.wait_condition(lambda: self.done or self.stream.continue_as_new_suggested())
        if self.done:
            return self.stream.end_offset
        self.marks.publish(f"run {args.run} sealed")
        await self.stream.continue_as_new(
            lambda state: [
                LongInput(
                    state,
                    args.run_log_bytes,
                    args.tail_bytes,
                    args.segments_carried,
                    args.run + 1,
                )
            ]
        )
