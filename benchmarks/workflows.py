"""The two stream-hosting workflows (run in the default sandboxed runner)."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.contrib.workflow_streams import WorkflowStream as OfficialStream

    from wstream import WorkflowStream


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


WORKFLOWS = [WstreamHost, OfficialHost]
