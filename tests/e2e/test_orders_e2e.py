"""Generate -> import -> publish from activity and workflow -> typed subscribe across CAN."""

from __future__ import annotations

import uuid
from types import ModuleType

import pytest
from pydantic import ValidationError
from temporalio.client import Client
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient
from temporalio.worker import Worker

EXPECTED = (
    [("order.status", "created")]
    + [("progress", value * 10) for value in range(5)]
    + [("order.status", "paid")]
    + [("progress", value * 10) for value in range(5, 10)]
    + [("order.status", "shipped")]
)


def _plain(item: object) -> tuple[str, object]:
    topic = item.topic  # type: ignore[attr-defined]
    data = item.data  # type: ignore[attr-defined]
    return topic, data.state if topic == "order.status" else data


async def test_generated_package_end_to_end(
    app: ModuleType, client: Client, task_queue: str
) -> None:
    package = __import__("e2e_orders")
    workflow_id = f"orders-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[app.OrdersWorkflow],
        activities=[app.report_progress],
    ):
        handle = await client.start_workflow(
            app.OrdersWorkflow.run,
            app.OrdersInput(order_id="o-42"),
            id=workflow_id,
            task_queue=task_queue,
        )
        orders = package.OrdersClient.create(client, workflow_id)
        received = []
        async for item in orders.subscribe():
            received.append(item)
            if len(received) == len(EXPECTED):
                break

        # Every item once, in order, with its offset and its type.
        assert [item.offset for item in received] == list(range(len(EXPECTED)))
        assert [_plain(item) for item in received] == EXPECTED
        for item in received:
            if item.topic == "order.status":
                assert type(item) is package.StatusItem
                assert isinstance(item.data, package.Status)
                assert item.data.order_id == "o-42"
            else:
                assert type(item) is package.ProgressItem
                assert type(item.data) is int
        assert received[-1].data.total == package.Money(amount=1999, currency="EUR")

        # A filtered subscription sees only its topic, from any offset.
        status_only = []
        async for item in orders.subscribe(["order.status"], from_offset=1):
            status_only.append((item.offset, item.data.state))
            if len(status_only) == 2:
                break
        assert status_only == [(6, "paid"), (12, "shipped")]

        # Interop: the official client reads the same items with result_type= the model.
        official = OfficialClient.create(client, workflow_id)
        read = []
        async for item in official.subscribe(["order.status"], result_type=package.Status):
            read.append((item.offset, item.data))
            if len(read) == 3:
                break
        assert [offset for offset, _ in read] == [0, 6, 12]
        assert [data for _, data in read] == [
            item.data for item in received if item.topic == "order.status"
        ]

        await handle.signal(app.OrdersWorkflow.finish)
        assert await handle.result() == len(EXPECTED)
        assert (await handle.describe()).run_id != handle.first_execution_run_id


async def test_publish_errors_at_the_call_site(app: ModuleType, client: Client) -> None:
    package = __import__("e2e_orders")
    orders = package.OrdersClient.create(client, f"never-started-{uuid.uuid4().hex[:8]}")
    with pytest.raises(ValidationError, match=r"for Progress \(publishing to topic 'progress'\)"):
        orders.progress.publish(101)
    with pytest.raises(ValidationError, match=r"less_than_equal"):
        orders.progress.publish(101)
    with pytest.raises(ValidationError, match=r"Status"):
        orders.status.publish(package.Status(order_id="o-1", state="lost"))
    with pytest.raises(ValidationError, match=r"pattern"):
        package.Money(amount=1, currency="euro")
    with pytest.warns(DeprecationWarning, match="topic 'tokens' is deprecated"):
        orders.tokens.publish("a log line")
    assert orders.raw.buffered == 1  # only the valid (deprecated) item was accepted
