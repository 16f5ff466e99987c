"""A workflow that hosts a long stream with the README's continue-as-new pattern (sandboxed)."""

from __future__ import annotations

import dataclasses
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
    #: The hand-over's waits, lowered too (the defaults are 1 s and 2 s); a test of the
    #: minimum age sets its own.
    min_run_seconds: float = 0.0
    closing_wait_seconds: float = 0.5
    #: A finish that arrived while the previous run was closing, carried over.
    finished: bool = False


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
            min_run_seconds=args.min_run_seconds,
            closing_wait_seconds=args.closing_wait_seconds,
        )
        self.marks = self.stream.topic("marks", type=str)
        self.done = args.finished
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
                dataclasses.replace(args, state=state, run=args.run + 1, finished=self.done)
            ]
        )
