"""A stream-hosting workflow with a short publisher TTL, for the lifecycle fault tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from tests.runtime.stream_workflows import Event
    from wstream import WorkflowStream, WorkflowStreamState

#: A TTL longer than any test runs, for reading every publisher the stream still knows.
_REMEMBER_ALL = timedelta(days=3650)


@dataclass
class TtlHostInput:
    """Arguments of :class:`TtlHostWorkflow`."""

    publisher_ttl_seconds: float
    stream_state: WorkflowStreamState | None = None
    #: 1 for the first run of the chain, counting up with every continue-as-new.
    run_number: int = 1


@workflow.defn
class TtlHostWorkflow:
    """Hosts a stream that forgets idle publishers when it continues as new on request."""

    @workflow.init
    def __init__(self, args: TtlHostInput) -> None:
        self.stream = WorkflowStream(prior_state=args.stream_state)
        self.stream.topic("events", type=Event)
        self.run_number = args.run_number
        self.finish = False
        self.cut = False

    @workflow.signal
    def finish_now(self) -> None:
        """End the workflow; subscribers drain what is retained."""
        self.finish = True

    @workflow.signal
    def request_continue_as_new(self) -> None:
        """Continue as new at once (the publisher TTL applies to the carried state)."""
        self.cut = True

    @workflow.query
    def known_publishers(self) -> dict[str, int]:
        """Every publisher this run remembers, with its last accepted sequence."""
        state = self.stream.get_state(publisher_ttl=_REMEMBER_ALL)
        return {pid: known.sequence for pid, known in state.publishers.items()}

    @workflow.query
    def current_run_number(self) -> int:
        """Which run of the continue-as-new chain this is (the first is 1)."""
        return self.run_number

    @workflow.run
    async def run(self, args: TtlHostInput) -> int:
        """Serve the stream until told to finish; return its end offset."""
        await workflow.wait_condition(lambda: self.finish or self.cut)
        if self.cut and not self.finish:
            await self.stream.continue_as_new(
                lambda state: [
                    TtlHostInput(
                        publisher_ttl_seconds=args.publisher_ttl_seconds,
                        stream_state=state,
                        run_number=args.run_number + 1,
                    )
                ],
                publisher_ttl=timedelta(seconds=args.publisher_ttl_seconds),
            )
        return self.stream.end_offset


@dataclass
class LoadHostInput:
    """Arguments of :class:`LoadHostWorkflow`."""

    #: Continue as new each time the end offset passes a multiple of this.
    every: int
    stream_state: WorkflowStreamState | None = None
    #: 1 for the first run of the chain, counting up with every continue-as-new.
    run_number: int = 1


@workflow.defn
class LoadHostWorkflow:
    """Hosts a stream and continues as new whenever its end offset passes a multiple of N."""

    @workflow.init
    def __init__(self, args: LoadHostInput) -> None:
        self.stream = WorkflowStream(prior_state=args.stream_state)
        self.stream.topic("events", type=Event)
        self.run_number = args.run_number
        # The next multiple of `every` above where this run starts: a run never starts due.
        self.cut_at = (self.stream.end_offset // args.every + 1) * args.every
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        """End the workflow unless a continue-as-new is due first."""
        self.finish = True

    @workflow.query
    def current_run_number(self) -> int:
        """Which run of the continue-as-new chain this is (the first is 1)."""
        return self.run_number

    @workflow.run
    async def run(self, args: LoadHostInput) -> int:
        """Serve the stream, continuing as new at every multiple; return the end offset."""
        await workflow.wait_condition(lambda: self.finish or self.stream.end_offset >= self.cut_at)
        if self.stream.end_offset >= self.cut_at:
            await self.stream.continue_as_new(
                lambda state: [
                    LoadHostInput(
                        every=args.every, stream_state=state, run_number=args.run_number + 1
                    )
                ]
            )
        return self.stream.end_offset
