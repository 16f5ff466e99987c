"""Must pass mypy --strict: typed publish, narrowing on item.topic, assert_type."""

from typing import Literal

from orders import (
    Money,
    OrdersClient,
    OrdersItem,
    OrdersStream,
    ProgressItem,
    Status,
    StatusItem,
    TokensItem,
)
from typing_extensions import assert_type

from wstream import TopicHandle, WorkflowStreamItem, WorkflowTopicHandle


async def publish(client: OrdersClient) -> None:
    client.status.publish(
        Status(order_id="o-1", state="paid", total=Money(amount=5, currency="EUR"))
    )
    client.progress.publish(40)
    await client.progress.publish_wait(41, force_flush=True)
    assert_type(client.status, TopicHandle[Status])
    assert_type(client.progress, TopicHandle[int])
    assert_type(await client.get_offset(), int)


async def narrow(client: OrdersClient) -> None:
    async for item in client.subscribe(["order.status", "progress"], from_offset=3):
        assert_type(item, OrdersItem)
        assert_type(item, StatusItem | ProgressItem | TokensItem)
        assert_type(item.offset, int)
        if item.topic == "order.status":
            assert_type(item, StatusItem)
            assert_type(item.data, Status)
            assert_type(item.data.state, Literal["created", "paid", "shipped"])
            total = item.data.total
            if total is not None:
                assert_type(total.amount, int)
        elif item.topic == "progress":
            assert_type(item.data, int)
        else:
            assert_type(item, TokensItem)
            assert_type(item.data, str)
    async for single in client.subscribe("progress"):
        assert_type(single.topic, Literal["order.status", "progress", "tokens"])
    async for one in client.status.subscribe():
        assert_type(one, WorkflowStreamItem[Status])


def workflow_side(stream: OrdersStream) -> None:
    assert_type(stream.progress, WorkflowTopicHandle[int])
    stream.status.publish(Status(order_id="o-1", state="created"))
    stream.progress.publish(100)
