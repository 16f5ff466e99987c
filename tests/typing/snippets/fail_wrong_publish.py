from orders import Money, OrdersClient, OrdersStream


def publish(client: OrdersClient, stream: OrdersStream) -> None:
    client.progress.publish("fifty")
    client.status.publish(Money(amount=1, currency="EUR"))
    stream.progress.publish(1.5)
