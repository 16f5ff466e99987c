"""A workflow and an activity built on the freshly generated orders package.

The workflow imports the generated package inside the default sandbox, without
passing it through, to prove that importing it runs only definitions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

# The runtime and pydantic are passed through, as Temporal recommends for libraries; the
# generated package itself is imported (and so executed) inside the sandbox.
with workflow.unsafe.imports_passed_through():
    import pydantic  # noqa: F401

    from wstream import WorkflowStreamState

from e2e_orders import OrdersClient, OrdersStream, Status  # type: ignore[import-not-found]

PROGRESS_PER_RUN = 5


@dataclass
class OrdersInput:
    """Arguments of :class:`OrdersWorkflow`; ``run`` counts continue-as-new."""

    order_id: str
    run: int = 0
    stream_state: WorkflowStreamState | None = None


@activity.defn
async def report_progress(start: int) -> None:
    """Publish ``PROGRESS_PER_RUN`` progress values from inside an activity."""
    async with OrdersClient.from_within_activity(batch_interval=timedelta(milliseconds=20)) as c:
        for value in range(start, start + PROGRESS_PER_RUN):
            c.progress.publish(value * 10)


@workflow.defn
class OrdersWorkflow:
    """Publishes status from the workflow and progress from an activity, across one CAN."""

    @workflow.init
    def __init__(self, args: OrdersInput) -> None:
        self.stream = OrdersStream(args.stream_state)
        self.finished = False

    @workflow.signal
    def finish(self) -> None:
        self.finished = True

    @workflow.run
    async def run(self, args: OrdersInput) -> int:
        timeout = timedelta(seconds=30)
        if args.run == 0:
            self.stream.status.publish(Status(order_id=args.order_id, state="created"))
            await workflow.execute_activity(report_progress, 0, start_to_close_timeout=timeout)
            self.stream.status.publish(Status(order_id=args.order_id, state="paid"))
            await self.stream.continue_as_new(
                lambda state: [OrdersInput(args.order_id, run=1, stream_state=state)]
            )
        await workflow.execute_activity(
            report_progress, PROGRESS_PER_RUN, start_to_close_timeout=timeout
        )
        self.stream.status.publish(
            Status.model_validate(
                {"order_id": args.order_id, "state": "shipped",
                 "total": {"amount": 1999, "currency": "EUR"}}
            )
        )  # fmt: skip
        await workflow.wait_condition(lambda: self.finished)
        return self.stream.end_offset
