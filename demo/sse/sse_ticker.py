"""The SSE demo's workflow: it publishes a tick every interval and a log line now and then.

A module of its own so that Temporal's sandbox can re-import it for every workflow run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from wstream import WorkflowStream


@dataclass
class TickerInput:
    """How many ticks to publish, and how far apart."""

    ticks: int = 30
    interval_ms: int = 1000


@workflow.defn
class TickerWorkflow:
    """Hosts a stream with two topics, ``tick`` and ``log``, and ends after its last tick."""

    @workflow.init
    def __init__(self, args: TickerInput) -> None:
        self.stream = WorkflowStream()
        self.ticks = self.stream.topic("tick", type=dict)
        self.log = self.stream.topic("log", type=str)

    @workflow.run
    async def run(self, args: TickerInput) -> int:
        """Publish the ticks, then end (the browser then receives ``wstream-end``)."""
        self.log.publish(f"starting {args.ticks} ticks")
        for n in range(1, args.ticks + 1):
            await workflow.sleep(timedelta(milliseconds=args.interval_ms))
            self.ticks.publish({"n": n, "at": workflow.now().isoformat(timespec="seconds")})
            if n % 5 == 0:
                self.log.publish(f"{n} ticks so far")
        self.log.publish("done")
        return self.stream.end_offset
