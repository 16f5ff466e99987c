"""Fixtures of the reliability tests: a worker for the stream workflows, and the figures."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.worker import Worker

from tests.reliability.tally import FIGURES
from tests.runtime.stream_workflows import ALL_WORKFLOWS


@pytest_asyncio.fixture
async def worker(client: Client, task_queue: str) -> AsyncIterator[Worker]:
    """A worker for the stream-hosting workflows on the test's own task queue (sandboxed)."""
    async with Worker(client, task_queue=task_queue, workflows=ALL_WORKFLOWS) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print every fault test's counts: published, received, lost, duplicated."""
    if FIGURES:
        terminalreporter.section("wstream reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
