"""Copied into a clean venv with only the runtime wheel: the generated ``orders`` package at work.

Run as ``python -c "import typed_app; typed_app.main()" ADDRESS`` from a directory holding it
and the generated package. Prints one JSON line (the items read back, typed), then keeps its
worker running, so ``wstream tail`` can read the finished stream, until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid

from pydantic import ValidationError
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    import pydantic  # noqa: F401

    import wstream  # noqa: F401

from orders import Money, OrdersClient, OrdersStream, Status


@workflow.defn
class OrderHost:
    """Hosts the generated stream and publishes the order's creation itself."""

    @workflow.init
    def __init__(self) -> None:
        self.stream = OrdersStream()
        self.done = False

    @workflow.run
    async def run(self) -> None:
        self.stream.status.publish(Status(order_id="A-1", state="created"))
        await workflow.wait_condition(lambda: self.done)

    @workflow.signal
    def finish(self) -> None:
        self.done = True


async def serve(address: str) -> None:
    client = await Client.connect(address)
    queue = f"wheel-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[OrderHost]):
        handle = await client.start_workflow(
            OrderHost.run, id=f"wheel-orders-{uuid.uuid4().hex[:8]}", task_queue=queue
        )
        orders = OrdersClient.create(client, handle.id)
        async with orders:
            orders.progress.publish(40)
            paid = Status(order_id="A-1", state="paid", total=Money(amount=4200, currency="EUR"))
            orders.status.publish(paid)
            try:
                orders.progress.publish(150)  # the schema's maximum is 100
                refused = False
            except ValidationError:
                refused = True
        await handle.signal(OrderHost.finish)
        read = []
        async for item in OrdersClient.create(client, handle.id).subscribe():
            if item.topic == "order.status":
                read.append([item.offset, item.topic, item.data.state])
            elif item.topic == "progress":
                read.append([item.offset, item.topic, item.data + 0])
        result = {"workflow_id": handle.id, "items": read, "refused_150": refused}
        print(json.dumps(result), flush=True)
        # Queries on the closed run replay it on a worker: keep this one until told.
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main() -> None:
    asyncio.run(serve(sys.argv[1]))
    sys.stdout.flush()
    os._exit(0)
