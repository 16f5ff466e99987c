"""Workflows hosting streams for the runtime tests (run in the default sandbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel
    from temporalio.contrib.workflow_streams import WorkflowStream as OfficialStream
    from temporalio.contrib.workflow_streams import WorkflowStreamState as OfficialState

    from wstream import PublisherState, WorkflowStream, WorkflowStreamState


class Event(BaseModel):
    """A typed item used across the runtime tests."""

    name: str
    n: int


@dataclass
class HostInput:
    """Arguments of the stream-hosting test workflow."""

    stream_state: WorkflowStreamState | None = None
    publish_from_workflow: int = 0
    #: Continue as new each time this many more items have arrived (0: never by itself).
    continue_as_new_every: int = 0
    #: Continue-as-new budget left for the chain.
    runs_left: int = 0


@workflow.defn
class HostWorkflow:
    """Hosts a wstream stream until told to finish; truncates and continues as new on request."""

    @workflow.init
    def __init__(self, args: HostInput) -> None:
        self.stream = WorkflowStream(prior_state=args.stream_state)
        self.events = self.stream.topic("events", type=Event)
        self.finish = False
        self.truncate_to: int | None = None
        self.cut = False
        self.cut_at = (
            self.stream.end_offset + args.continue_as_new_every
            if args.continue_as_new_every and args.runs_left > 0
            else None
        )

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.signal
    def request_truncate(self, offset: int) -> None:
        self.truncate_to = offset

    @workflow.signal
    def request_continue_as_new(self) -> None:
        self.cut = True

    @workflow.query
    def run_stats(self) -> list[int]:
        return [self.stream.signals_this_run, self.stream.updates_this_run]

    def _due(self) -> bool:
        return self.cut or (self.cut_at is not None and self.stream.end_offset >= self.cut_at)

    @workflow.run
    async def run(self, args: HostInput) -> int:
        for i in range(args.publish_from_workflow):
            self.events.publish(Event(name="from-workflow", n=i))
        while True:
            await workflow.wait_condition(
                lambda: self.finish or self.truncate_to is not None or self._due()
            )
            if self.truncate_to is not None:
                self.stream.truncate(self.truncate_to)
                self.truncate_to = None
            elif self._due():
                await self.stream.continue_as_new(
                    lambda state: [
                        HostInput(
                            stream_state=state,
                            continue_as_new_every=args.continue_as_new_every,
                            runs_left=args.runs_left - 1,
                        )
                    ]
                )
            elif self.finish:
                return self.stream.end_offset


@dataclass
class OfficialHostInput:
    """Arguments of the workflow hosting the official stream."""

    stream_state: OfficialState | None = None
    continued: bool = False


@workflow.defn
class OfficialHostWorkflow:
    """Hosts the official contrib stream (for interop tests)."""

    @workflow.init
    def __init__(self, args: OfficialHostInput) -> None:
        self.stream = OfficialStream(prior_state=args.stream_state)
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self, args: OfficialHostInput) -> None:
        await workflow.wait_condition(lambda: self.finish)


@workflow.defn
class NoStreamWorkflow:
    """A workflow that hosts no stream at all."""

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self) -> None:
        self.finish = False
        await workflow.wait_condition(lambda: self.finish)


@workflow.defn
class GarbledPollWorkflow(NoStreamWorkflow):
    """A foreign workflow whose poll query answers with a JSON list, not a page."""

    @workflow.run
    async def run(self) -> None:
        workflow.set_query_handler("__temporal_workflow_stream_poll", lambda _request: [1, 2])
        await super().run()


@workflow.defn
class MisplacedStreamWorkflow:
    """Constructs streams where it must not, and reports the errors it got."""

    @workflow.init
    def __init__(self) -> None:
        self.errors: list[str] = []
        WorkflowStream()
        try:
            WorkflowStream()
        except RuntimeError as error:
            self.errors.append(str(error))

    @workflow.run
    async def run(self) -> list[str]:
        try:
            WorkflowStream()
        except RuntimeError as error:
            self.errors.append(str(error))
        return self.errors


@workflow.defn
class LateStreamWorkflow:
    """Constructs its stream in run, too late for the first signals."""

    @workflow.run
    async def run(self) -> str:
        try:
            WorkflowStream()
        except RuntimeError as error:
            return str(error)
        return "accepted"


@workflow.defn
class SuggestionWorkflow:
    """Runs until its stream says to continue as new, then reports why."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()

    @workflow.run
    async def run(self) -> list[int]:
        await workflow.wait_condition(self.stream.continue_as_new_suggested)
        info = workflow.info()
        return [info.get_current_history_length(), self.stream.signals_this_run]


@workflow.defn
class BigStateWorkflow:
    """Retains more than one payload can carry, continues as new, and reports the new run."""

    @workflow.init
    def __init__(self, stream_state: WorkflowStreamState | None = None) -> None:
        self.stream = WorkflowStream(prior_state=stream_state)

    @workflow.run
    async def run(self, stream_state: WorkflowStreamState | None = None) -> list[int]:
        if stream_state is not None:
            return [self.stream.base_offset, self.stream.end_offset, len(stream_state.segments)]
        blob = self.stream.topic("blob", type=str)
        for i in range(30):
            blob.publish(f"{i:03d}" + "x" * 100_000)
        await self.stream.continue_as_new(lambda state: [state])


@workflow.defn
class ActivityPublisherWorkflow:
    """Hosts a stream and runs an activity that publishes into it."""

    @workflow.init
    def __init__(self, count: int) -> None:
        self.stream = WorkflowStream()

    @workflow.run
    async def run(self, count: int) -> int:
        await workflow.execute_activity(
            "publish_from_activity", count, start_to_close_timeout=timedelta(seconds=60)
        )
        return self.stream.end_offset


@workflow.defn
class CrowdedStreamWorkflow:
    """Remembers more publishers than one continue-as-new payload can carry, then tries."""

    @workflow.init
    def __init__(self) -> None:
        now = workflow.now()
        crowd = {f"{i:016x}": PublisherState.at(1, now) for i in range(25_000)}
        self.stream = WorkflowStream(prior_state=WorkflowStreamState(publishers=crowd))
        self.go = False

    @workflow.signal
    def continue_now(self) -> None:
        self.go = True

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.go)
        await self.stream.continue_as_new(lambda state: [])


ALL_WORKFLOWS = [
    CrowdedStreamWorkflow,
    HostWorkflow,
    OfficialHostWorkflow,
    NoStreamWorkflow,
    GarbledPollWorkflow,
    MisplacedStreamWorkflow,
    LateStreamWorkflow,
    SuggestionWorkflow,
    BigStateWorkflow,
    ActivityPublisherWorkflow,
]
