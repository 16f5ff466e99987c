"""Fixtures of the cross-language tests: the compiled TS programs and a Python host worker."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from tests.interop_ts.node import NodePrograms, compile_programs, missing_toolchain
from tests.interop_ts.workflows import OrdersHostWorkflow


@pytest.fixture(scope="session")
def node_programs(tmp_path_factory: pytest.TempPathFactory, client: Client) -> NodePrograms:
    """The TS programs, compiled once per session, pointed at the session's dev server."""
    reason = missing_toolchain()
    if reason is not None:
        pytest.skip(f"{reason} (when CI is set, this skip fails the run)")
    folder = compile_programs(tmp_path_factory.mktemp("interop_ts"))
    return NodePrograms(folder, client.service_client.config.target_host, client.namespace)


@pytest_asyncio.fixture
async def python_host(client: Client, task_queue: str) -> AsyncIterator[str]:
    """A worker running the Python orders host; yields its task queue."""
    async with Worker(client, task_queue=task_queue, workflows=[OrdersHostWorkflow]):
        yield task_queue
