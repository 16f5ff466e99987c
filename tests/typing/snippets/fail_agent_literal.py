from agent import AgentClient


def publish(client: AgentClient) -> None:
    client.status.publish("sleeping")
