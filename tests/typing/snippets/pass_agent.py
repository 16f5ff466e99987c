"""Must pass mypy --strict: unions of models and literal payloads of the agent example."""

from datetime import datetime, timezone
from typing import Literal

from agent import AgentClient, FetchArgs, FinalResult, RunPythonArgs, SearchArgs, ToolCall, Usage
from typing_extensions import assert_type


async def run(client: AgentClient) -> None:
    client.tool_call.publish(ToolCall(call_id="c1", arguments=SearchArgs(kind="search", query="q")))
    client.status.publish("thinking")
    client.result.publish(
        FinalResult(
            answer="42",
            usage=Usage(input_tokens=1, output_tokens=2),
            finished_at=datetime.now(timezone.utc),
        )
    )
    async for item in client.subscribe():
        if item.topic == "tool.call":
            arguments = item.data.arguments
            assert_type(arguments, SearchArgs | FetchArgs | RunPythonArgs)
            if isinstance(arguments, SearchArgs):
                assert_type(arguments.max_results, int | None)
        elif item.topic == "status":
            assert_type(
                item.data,
                Literal["queued", "thinking", "calling_tool", "answering", "done", "failed"],
            )
