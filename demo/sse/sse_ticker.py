"""The SSE demo's workflow: one order through the pipeline, on the generated orders stream.

A module of its own so that Temporal's sandbox can re-import it for every workflow run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from orders import Money, OrdersStream, Status


@dataclass
class TickerInput:
    """How many progress ticks to publish, and how far apart."""

    ticks: int = 30
    interval_ms: int = 1000
    order_id: str = "o-1001"


@workflow.defn
class TickerWorkflow:
    """Publishes an order's status changes (``order.status``) and its ``progress``, then ends."""

    @workflow.init
    def __init__(self, args: TickerInput) -> None:
        self.stream = OrdersStream()

    @workflow.run
    async def run(self, args: TickerInput) -> int:
        """Created, a tick of progress per interval (paid halfway), shipped; then end.

        The browser receives ``wstream-end`` once the run is over.
        """
        self.stream.status.publish(Status(order_id=args.order_id, state="created"))
        for n in range(1, args.ticks + 1):
            await workflow.sleep(timedelta(milliseconds=args.interval_ms))
            self.stream.progress.publish(n * 100 // args.ticks)
            if n == (args.ticks + 1) // 2:
                self.stream.status.publish(Status(order_id=args.order_id, state="paid"))
        total = Money(amount=12_999, currency="EUR")
        self.stream.status.publish(Status(order_id=args.order_id, state="shipped", total=total))
        return self.stream.end_offset
