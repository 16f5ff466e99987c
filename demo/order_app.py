"""The demo's workflow and activity, built on the generated ``orders`` package.

A module of its own so that Temporal's sandbox can re-import it for every workflow run.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    import pydantic  # noqa: F401

    from wstream import WorkflowStreamState

from orders import OrdersClient, OrdersStream, Status


@dataclass
class OrderInput:
    """Which order the workflow processes (and the stream state across continue-as-new)."""

    order_id: str
    stream_state: WorkflowStreamState | None = None


@activity.defn
async def charge_card(order_id: str) -> None:
    """Pretend to charge a card, reporting progress into the workflow's stream."""
    async with OrdersClient.from_within_activity(batch_interval=timedelta(milliseconds=50)) as c:
        for percent in (10, 40, 70, 100):
            c.progress.publish(percent)
            await asyncio.sleep(0.05)


@workflow.defn
class OrderWorkflow:
    """One order: created, paid (after the charge activity), shipped."""

    @workflow.init
    def __init__(self, args: OrderInput) -> None:
        self.stream = OrdersStream(args.stream_state)

    @workflow.run
    async def run(self, args: OrderInput) -> None:
        """Publish the order's lifecycle; the activity publishes the charge progress."""
        self.stream.status.publish(Status(order_id=args.order_id, state="created"))
        await workflow.execute_activity(
            charge_card, args.order_id, start_to_close_timeout=timedelta(seconds=30)
        )
        self.stream.status.publish(
            Status.model_validate(
                {"order_id": args.order_id, "state": "paid",
                 "total": {"amount": 4200, "currency": "EUR"}}
            )
        )  # fmt: skip
        await workflow.sleep(timedelta(milliseconds=200))
        self.stream.status.publish(Status(order_id=args.order_id, state="shipped"))
