from orders import OrdersClient
from temporalio.client import Client


def connect(client: Client) -> OrdersClient:
    OrdersClient.create(client, "orders-1", batch_interval=2)
    OrdersClient.create(client, "orders-1", max_batch_sise=10)
    return OrdersClient.create(client, "orders-1", max_buffer_items=1_000)
