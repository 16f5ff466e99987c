"""Sends a signal once per call, through the client's interceptors, without the SDK's retry."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.workflowservice.v1 import SignalWorkflowExecutionRequest
from temporalio.client import (
    Client,
    HeaderCodecBehavior,
    OutboundInterceptor,
    SignalWorkflowInput,
    WorkflowHandle,
)
from temporalio.common import RawValue
from temporalio.converter import WorkflowSerializationContext


class _SignalsOnly:
    """Stands behind the sending interceptor: it answers signals itself and forwards nothing."""

    def __getattr__(self, name: str) -> NoReturn:
        raise NotImplementedError(
            f"wstream's publish path sends signals only; an interceptor asked it for {name!r}"
        )


class _SendOnce(OutboundInterceptor):
    """The end of the chain: one SignalWorkflowExecution call, retried by nobody here.

    The SDK's own call retries a refusal with RESOURCE_EXHAUSTED after a one-second pause,
    and the server refuses signals that way for the whole moment a run is continuing as new.
    Publish batches carry their own exactly-once retry, so they are better sent bare and
    retried by the publisher, which knows how short that moment is.
    """

    def __init__(self, client: Client) -> None:
        super().__init__(_SignalsOnly())  # type: ignore[arg-type]
        self._client = client

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        client = self._client
        converter = client.data_converter.with_context(
            WorkflowSerializationContext(namespace=client.namespace, workflow_id=input.id)
        )
        request = SignalWorkflowExecutionRequest(
            namespace=client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=input.id, run_id=input.run_id or ""),
            signal_name=input.signal,
            identity=client.identity,
            request_id=str(uuid.uuid4()),
        )
        if input.args:
            request.input.payloads.extend(await converter.encode(input.args))
        await _copy_headers(input.headers, request, client)
        await client.workflow_service.signal_workflow_execution(
            request, retry=False, metadata=input.rpc_metadata, timeout=input.rpc_timeout
        )


async def _copy_headers(
    headers: Mapping[str, Payload], request: SignalWorkflowExecutionRequest, client: Client
) -> None:
    """Put interceptors' headers on the request, through the codec if the client says so."""
    if not headers:
        return
    keys = list(headers)
    payloads: Sequence[Payload] = [headers[key] for key in keys]
    codec = client.data_converter.payload_codec
    if codec is not None and client.config()["header_codec_behavior"] == HeaderCodecBehavior.CODEC:
        payloads = await codec.encode(payloads)
    for key, payload in zip(keys, payloads, strict=True):
        request.header.fields[key].CopyFrom(payload)


class SignalSender:
    """Sends one workflow's signals through the client's interceptors, each call one attempt.

    Raises what the server answered (:class:`temporalio.service.RPCError`) at once, so the
    caller decides when to try again. (A handle whose client cannot be told, which the SDK
    never makes, gets the SDK's own call and its retry.)
    """

    def __init__(self, handle: WorkflowHandle[Any, Any]) -> None:
        """Send to ``handle``'s workflow (and run, if the handle names one)."""
        self._handle = handle
        # A handle always comes from a Client; WorkflowHandle just does not show it.
        client: Client | None = getattr(handle, "_client", None)
        self._chain: OutboundInterceptor | None = None
        if client is not None:
            chain: OutboundInterceptor = _SendOnce(client)
            for interceptor in reversed(client.config()["interceptors"]):
                chain = interceptor.intercept_client(chain)
            self._chain = chain

    async def send(self, signal: str, payload: Payload) -> None:
        """Send ``signal`` with ``payload`` as its one argument, once."""
        if self._chain is None:
            await self._handle.signal(signal, RawValue(payload))
            return
        await self._chain.signal_workflow(
            SignalWorkflowInput(
                id=self._handle.id,
                run_id=self._handle.run_id,
                signal=signal,
                args=[RawValue(payload)],
                headers={},
                rpc_metadata={},
                rpc_timeout=None,
            )
        )
