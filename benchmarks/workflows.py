"""The two stream-hosting workflows (run in the default sandboxed runner)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from temporalio.api.common.v1 import Payload
    from temporalio.contrib.workflow_streams import WorkflowStream as OfficialStream
    from temporalio.contrib.workflow_streams import WorkflowStreamState as OfficialState

    from wstream import WorkflowStream, WorkflowStreamState


@workflow.defn
class WstreamHost:
    """Hosts a wstream ``WorkflowStream`` until told to finish."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = WorkflowStream()
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self) -> int:
        await workflow.wait_condition(lambda: self.finish)
        return self.stream.end_offset


@workflow.defn
class OfficialHost:
    """Hosts the official ``temporalio.contrib.workflow_streams.WorkflowStream``."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = OfficialStream()
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.finish)


@workflow.defn
class WstreamLongHost:
    """The README's long-lived pattern on wstream: continue as new whenever suggested."""

    @workflow.init
    def __init__(self, state: WorkflowStreamState | None = None) -> None:
        self.stream = WorkflowStream(prior_state=state)
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self, state: WorkflowStreamState | None = None) -> int:
        await workflow.wait_condition(
            lambda: self.finish or self.stream.continue_as_new_suggested()
        )
        if not self.finish:
            await self.stream.continue_as_new(lambda s: [s])
        return self.stream.end_offset


@workflow.defn
class OfficialLongHost:
    """The same pattern on the official module (it has no suggestion of its own)."""

    @workflow.init
    def __init__(self, state: OfficialState | None = None) -> None:
        self.stream = OfficialStream(prior_state=state)
        self.finish = False

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self, state: OfficialState | None = None) -> None:
        await workflow.wait_condition(
            lambda: self.finish or workflow.info().is_continue_as_new_suggested()
        )
        if not self.finish:
            await self.stream.continue_as_new(lambda s: [s])


@workflow.defn
class RawSink:
    """No stream at all: the transport's own limits, for scenario 10.

    Its signal only counts bytes, its query returns one page it was given as is, and its
    update returns as soon as a given number of signals has arrived.
    """

    @workflow.init
    def __init__(self) -> None:
        self.received = 0
        self.signals = 0
        self.page = b""
        self.waiting = 0
        self.finish = False

    @workflow.signal
    def raw_bytes(self, value: RawValue) -> None:
        self.received += len(value.payload.data)
        self.signals += 1

    @workflow.signal
    def set_page(self, value: RawValue) -> None:
        self.page = value.payload.data

    @workflow.query
    def received_bytes(self) -> int:
        return self.received

    @workflow.query
    def read_page(self, _index: int) -> RawValue:
        return RawValue(Payload(metadata={"encoding": b"json/plain"}, data=self.page))

    @workflow.query
    def updates_waiting(self) -> int:
        return self.waiting

    @workflow.update
    async def wait_signals(self, count: int) -> int:
        self.waiting += 1
        await workflow.wait_condition(lambda: self.signals >= count)
        self.waiting -= 1
        return self.signals

    @workflow.signal
    def finish_now(self) -> None:
        self.finish = True

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.finish)


WORKFLOWS = [WstreamHost, OfficialHost, WstreamLongHost, OfficialLongHost, RawSink]
