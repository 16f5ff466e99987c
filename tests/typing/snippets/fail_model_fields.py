from orders import Status


def build() -> None:
    Status(order_id=1, state="created")
    Status(order_id="o-1", state="lost")
    Status(order_id="o-1")
