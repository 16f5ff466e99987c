from orders import OrdersClient


async def follow(client: OrdersClient) -> None:
    async for item in client.subscribe(["order.status", "order.stauts"]):
        if item.topic == "shipping":
            pass
    client.shipping.publish(1)
