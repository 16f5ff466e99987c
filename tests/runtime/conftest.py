"""Fixtures of the runtime tests: a worker running the stream-hosting workflows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.activities import ALL_ACTIVITIES
from tests.runtime.helpers import FIGURES
from tests.runtime.stream_workflows import ALL_WORKFLOWS


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """A worker for the runtime test workflows on the test's own task queue (sandboxed)."""
    async with Worker(
        client, task_queue=task_queue, workflows=ALL_WORKFLOWS, activities=ALL_ACTIVITIES
    ) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the figures the runtime tests measured (history cost per subscriber count)."""
    if FIGURES:
        terminalreporter.section("wstream runtime figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
