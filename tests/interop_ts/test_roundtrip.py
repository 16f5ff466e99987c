"""Cross-language round trips of the orders schema on one dev server, with exact JSON payloads.

TS publisher -> wstream host -> Python subscriber; Python publisher -> wstream host -> TS
subscriber; a stream hosted by the TS SDK's own WorkflowStream -> Python subscriber.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from orders import Money, OrdersClient, OrdersItem, Status
from temporalio.client import Client, WorkflowHandle
from temporalio.common import RawValue
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient

from tests.interop_ts.node import NodePrograms
from tests.interop_ts.workflows import OrdersHostWorkflow
from wstream import WorkflowStreamClient

#: Read timeout of one subscription; a lost item fails the test instead of hanging it.
READ_TIMEOUT = 60.0


async def read(orders: OrdersClient, count: int, from_offset: int = 0) -> list[OrdersItem]:
    """The next ``count`` typed items of every topic, from ``from_offset``."""
    got: list[OrdersItem] = []

    async def follow() -> None:
        async for item in orders.subscribe(from_offset=from_offset):
            got.append(item)
            if len(got) == count:
                return

    await asyncio.wait_for(follow(), READ_TIMEOUT)
    return got


def as_sent(item: OrdersItem) -> dict[str, Any]:
    """A typed item as the JSON its publisher sent: a model's fields set on the wire only."""
    data = item.data
    if isinstance(data, Status):
        # An optional field absent on the wire is unset in the model, not null.
        return {"topic": item.topic, "data": data.model_dump(mode="json", exclude_unset=True)}
    return {"topic": item.topic, "data": data}


async def start_ts_host(client: Client, task_queue: str) -> WorkflowHandle[Any, Any]:
    """Start the TS workflow ``ordersHost`` (tests/interop_ts/ts/workflows.ts) by name."""
    return await client.start_workflow(
        "ordersHost", id=f"ts-host-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )


async def start_python_host(client: Client, task_queue: str) -> str:
    handle = await client.start_workflow(
        OrdersHostWorkflow.run, id=f"orders-host-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    return handle.id


async def test_ts_publisher_to_a_wstream_host_read_by_the_python_subscriber(
    client: Client, python_host: str, node_programs: NodePrograms
) -> None:
    workflow_id = await start_python_host(client, python_host)
    sent = await node_programs.run("publish", workflow_id)
    assert {entry["topic"] for entry in sent} == {"order.status", "progress", "tokens"}

    items = await read(OrdersClient.create(client, workflow_id), len(sent))
    assert [item.offset for item in items] == list(range(len(sent)))
    assert [as_sent(item) for item in items] == sent
    # Byte level: each item is one json/plain payload whose JSON is exactly what TS sent.
    raw = WorkflowStreamClient.create(client, workflow_id)
    payloads = []
    async for entry in raw.subscribe(result_type=RawValue):
        payloads.append(entry.data.payload)
        if len(payloads) == len(sent):
            break
    assert {payload.metadata["encoding"] for payload in payloads} == {b"json/plain"}
    assert [json.loads(payload.data) for payload in payloads] == [e["data"] for e in sent]
    await client.get_workflow_handle(workflow_id).signal(OrdersHostWorkflow.finish_now)


async def test_python_publisher_to_a_wstream_host_read_by_the_ts_subscriber(
    client: Client, python_host: str, node_programs: NodePrograms
) -> None:
    workflow_id = await start_python_host(client, python_host)
    statuses = [
        Status(order_id="o-7", state="created"),
        Status(order_id='ö "7" 🚚', state="paid", total=Money(amount=4200, currency="CHF")),
        Status(order_id="o-7", state="shipped", total=Money(amount=0, currency="USD")),
    ]
    progress = [0, 33, 100]
    tokens = ['line \n two \t \\ "', "żółć 漢字 🚀 \u2028", ""]
    counts = {"order.status": len(statuses), "progress": len(progress), "tokens": len(tokens)}
    # The TS subscriber is already following when the items arrive (it long-polls the tail).
    subscriber = asyncio.create_task(
        node_programs.run("subscribe", workflow_id, json.dumps(counts))
    )
    expected = []
    async with OrdersClient.create(client, workflow_id) as orders:
        for n in range(3):
            orders.status.publish(statuses[n])
            orders.progress.publish(progress[n])
            with pytest.deprecated_call():
                orders.tokens.publish(tokens[n])
            expected += [
                {"topic": "order.status", "data": statuses[n].model_dump(mode="json")},
                {"topic": "progress", "data": progress[n]},
                {"topic": "tokens", "data": tokens[n]},
            ]
    received = sorted(await subscriber, key=lambda line: line["offset"])
    assert [line["offset"] for line in received] == list(range(len(expected)))
    # Exactly the JSON Python wrote, including `"total": null` for a status without a total.
    assert [{"topic": line["topic"], "data": line["data"]} for line in received] == expected
    await client.get_workflow_handle(workflow_id).signal(OrdersHostWorkflow.finish_now)


async def test_a_stream_hosted_by_the_ts_sdk_read_by_the_wstream_subscriber(
    client: Client, task_queue: str, node_programs: NodePrograms, tmp_path: Path
) -> None:
    async with node_programs.serving("worker", task_queue, log=tmp_path / "worker.log") as ready:
        published = ready["items"]
        handle = await start_ts_host(client, task_queue)
        try:
            items = await read(OrdersClient.create(client, handle.id), len(published))
        finally:
            await handle.signal("finish")
        assert [item.offset for item in items] == list(range(len(published)))
        assert [as_sent(item) for item in items] == published


async def test_a_subscription_to_a_ts_hosted_stream_ends_when_its_workflow_does(
    client: Client, task_queue: str, node_programs: NodePrograms, tmp_path: Path
) -> None:
    """The TS host answers polls by update only; its closing ends the subscription cleanly."""
    async with node_programs.serving("worker", task_queue, log=tmp_path / "worker.log") as ready:
        published = ready["items"]
        handle = await start_ts_host(client, task_queue)
        orders = OrdersClient.create(client, handle.id)
        got: list[OrdersItem] = []

        async def follow_to_the_end() -> None:
            async for item in orders.subscribe():
                got.append(item)

        follower = asyncio.create_task(follow_to_the_end())
        # Every item read, the subscriber waits at the tail on the poll update...
        while len(got) < len(published):
            assert not follower.done(), follower
            await asyncio.sleep(0.05)
        await handle.signal("finish")
        # ...and the workflow's end ends the subscription: no error, no hang.
        await asyncio.wait_for(follower, READ_TIMEOUT)
        assert [as_sent(item) for item in got] == published
        assert orders.raw.poll_stats.queries == 1  # the one that found no poll query


async def test_a_subscription_to_a_ts_hosted_stream_cancelled_at_the_tail_ends_as_cancelled(
    client: Client, task_queue: str, node_programs: NodePrograms, tmp_path: Path
) -> None:
    """Cancelled while it waits on the poll update, the subscription ends cancelled."""
    async with node_programs.serving("worker", task_queue, log=tmp_path / "worker.log") as ready:
        published = ready["items"]
        handle = await start_ts_host(client, task_queue)
        got: list[OrdersItem] = []

        async def follow() -> None:
            async for item in OrdersClient.create(client, handle.id).subscribe():
                got.append(item)

        follower = asyncio.create_task(follow())
        while len(got) < len(published):
            assert not follower.done(), follower
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # now parked on the update at the tail
        follower.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(follower, READ_TIMEOUT)
        await handle.signal("finish")


async def test_a_stream_hosted_by_the_ts_sdk_takes_wstream_publishes(
    client: Client, task_queue: str, node_programs: NodePrograms, tmp_path: Path
) -> None:
    async with node_programs.serving("worker", task_queue, log=tmp_path / "worker.log") as ready:
        published = ready["items"]
        handle = await start_ts_host(client, task_queue)
        # wstream's typed publisher signals the TS SDK's WorkflowStream (batches, dedup ids).
        async with OrdersClient.create(client, handle.id) as orders:
            orders.status.publish(Status(order_id="py", state="paid"))
            orders.progress.publish(7)
        ours = [
            {"topic": "order.status", "data": {"order_id": "py", "state": "paid", "total": None}},
            {"topic": "progress", "data": 7},
        ]
        counts = {"order.status": 0, "progress": 0, "tokens": 0}
        for entry in published + ours:
            counts[entry["topic"]] += 1
        # Read back by the TS subscriber and, in Python, by the official module's client.
        lines = await node_programs.run("subscribe", handle.id, json.dumps(counts))
        official = []
        async for item in OfficialClient.create(client, handle.id).subscribe(result_type=RawValue):
            official.append({"topic": item.topic, "data": json.loads(item.data.payload.data)})
            if len(official) == len(published) + len(ours):
                break
        await handle.signal("finish")
        assert await handle.result() == len(published)
    # The workflow's own items (generated workflow wrappers) first, then wstream's, in order.
    received = sorted(lines, key=lambda line: line["offset"])
    assert [line["offset"] for line in received] == list(range(len(published) + len(ours)))
    assert [{"topic": line["topic"], "data": line["data"]} for line in received] == (
        published + ours
    )
    assert official == published + ours
