"""The signal sender on a real server: one attempt per call, through the client's interceptors.

A run that is closing refuses signals with RESOURCE_EXHAUSTED; the SDK's own call would wait
a second and try again, the sender reports the refusal at once (the publisher retries it
sooner). Headers added by a client interceptor reach the workflow, through the payload codec
when the client encodes headers.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.client import (
    Client,
    HeaderCodecBehavior,
    Interceptor,
    OutboundInterceptor,
    SignalWorkflowInput,
    WorkflowHandle,
)
from temporalio.converter import DataConverter, PayloadCodec
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker

from tests.runtime.signal_sender_workflows import (
    TEST_HEADER,
    HeaderRecorder,
    SlowCloseWorkflow,
)
from wstream.publisher import _closing
from wstream.signal_sender import SignalSender

_CODEC_ENCODING = b"binary/wstream-test-codec"


class WrappingCodec(PayloadCodec):
    """Wraps each payload in another; refuses to decode a payload it did not wrap."""

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Wrap every payload."""
        return [
            Payload(metadata={"encoding": _CODEC_ENCODING}, data=p.SerializeToString())
            for p in payloads
        ]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Unwrap every payload; one that was not wrapped is an error."""
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != _CODEC_ENCODING:
                raise ValueError(f"payload was not encoded by this codec: {payload.metadata}")
            decoded.append(Payload.FromString(payload.data))
        return decoded


class AddHeader(Interceptor):
    """Client interceptor: puts :data:`TEST_HEADER` on every signal, numbered."""

    def __init__(self) -> None:
        """Nothing sent yet."""
        self.sent = 0

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        """Wrap the client's outbound calls."""
        return _Adding(self, next)


class _Adding(OutboundInterceptor):
    def __init__(self, owner: AddHeader, next: OutboundInterceptor) -> None:
        super().__init__(next)
        self._owner = owner

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        self._owner.sent += 1
        header = Payload(
            metadata={"encoding": b"binary/plain"}, data=f"h{self._owner.sent}".encode()
        )
        input.headers = {**input.headers, TEST_HEADER: header}
        await super().signal_workflow(input)


def _ping() -> Payload:
    return Payload(metadata={"encoding": b"binary/null"})


async def _start(client: Client, task_queue: str) -> WorkflowHandle[SlowCloseWorkflow, int]:
    return await client.start_workflow(
        SlowCloseWorkflow.run, id=f"slow-close-{uuid.uuid4().hex[:10]}", task_queue=task_queue
    )


async def test_interceptor_headers_reach_the_workflow_through_the_codec(
    client: Client, task_queue: str
) -> None:
    """Signals go through the client's interceptors, headers encoded as the client says."""
    adder = AddHeader()
    coded = Client(
        client.service_client,
        namespace=client.namespace,
        data_converter=DataConverter(payload_codec=WrappingCodec()),
        interceptors=[adder],
        header_codec_behavior=HeaderCodecBehavior.CODEC,
    )
    async with Worker(
        coded,
        task_queue=task_queue,
        workflows=[SlowCloseWorkflow],
        interceptors=[HeaderRecorder()],
    ):
        handle = await _start(coded, task_queue)
        sender = SignalSender(coded.get_workflow_handle(handle.id))
        for _ in range(3):
            await sender.send("ping", _ping())
        assert await handle.query(SlowCloseWorkflow.seen_headers) == ["h1", "h2", "h3"]
        await handle.signal(SlowCloseWorkflow.close)
        # The pings' own payloads went through the codec too: the worker decoded all three.
        assert await handle.result() == 3


async def test_a_closing_run_refuses_at_once_and_a_refused_signal_is_not_applied(
    client: Client, task_queue: str
) -> None:
    """While a run closes, each send fails fast as RESOURCE_EXHAUSTED instead of retrying."""
    async with Worker(client, task_queue=task_queue, workflows=[SlowCloseWorkflow]):
        handle = await _start(client, task_queue)
        sender = SignalSender(client.get_workflow_handle(handle.id))
        await sender.send("ping", _ping())
        await handle.signal(SlowCloseWorkflow.close)
        accepted, refusals = 1, []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                await sender.send("ping", _ping())
            except RPCError as error:
                if error.status == RPCStatusCode.NOT_FOUND:
                    break  # the run has completed
                refusals.append(error)
            else:
                accepted += 1
            await asyncio.sleep(0.005)
        assert refusals, "no signal was refused while the run was closing"
        assert all(_closing(error) for error in refusals), [e.message for e in refusals]
        # Every accepted ping was applied once; no refused one was.
        assert await handle.result() == accepted
