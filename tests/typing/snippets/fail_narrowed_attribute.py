from orders import OrdersClient


async def follow(client: OrdersClient) -> None:
    async for item in client.subscribe():
        if item.topic == "progress":
            print(item.data.order_id)
        if item.topic == "order.status":
            print(item.data + 1)
