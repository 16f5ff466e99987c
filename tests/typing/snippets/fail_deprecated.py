from orders import OrdersClient


def publish(client: OrdersClient) -> None:
    client.tokens.publish("hello")
