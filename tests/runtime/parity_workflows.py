"""Workflows that misuse a WorkflowStream on purpose, once per implementation.

Each returns what every misuse raised (exception classes, message, ApplicationError type),
so the parity test compares wstream with the installed official module by running both.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.api.common.v1 import Payload
    from temporalio.contrib import workflow_streams as official

    import wstream

#: What a misuse raised: ``None`` when it raised nothing.
Outcome = dict[str, Any] | None


@dataclass
class MisuseInput:
    """``construct_in_init``: host the stream (and try a second one) in ``__init__``."""

    construct_in_init: bool


def outcome(error: BaseException) -> dict[str, Any]:
    """The classes (``module.qualname``, most derived first), message and error type."""
    return {
        "classes": [f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__],
        "message": str(error),
        "type": getattr(error, "type", None),
    }


class _Misuse:
    """Runs every workflow-side misuse against the implementation ``impl``."""

    impl: ModuleType

    def __init__(self, args: MisuseInput) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.stream: Any = None
        if args.construct_in_init:
            self.stream = self.impl.WorkflowStream()
            try:
                self.impl.WorkflowStream()
                self.outcomes["second WorkflowStream"] = None
            except Exception as error:
                self.outcomes["second WorkflowStream"] = outcome(error)

    def _attempt(self, case: str, stream: Any, action: str) -> None:
        try:
            if action == "payload":
                stream.topic("raw", type=Payload)
            elif action == "rebind":
                stream.topic("t", type=int)
                stream.topic("t", type=str)
            else:
                stream.truncate(1_000_000)
            self.outcomes[case] = None
        except Exception as error:
            self.outcomes[case] = outcome(error)

    async def _run(self, args: MisuseInput) -> dict[str, Outcome]:
        if not args.construct_in_init:
            try:
                self.impl.WorkflowStream()
                self.outcomes["WorkflowStream outside init"] = None
            except Exception as error:
                self.outcomes["WorkflowStream outside init"] = outcome(error)
            return self.outcomes
        self._attempt("workflow topic type=Payload", self.stream, "payload")
        self._attempt("workflow topic rebound", self.stream, "rebind")
        self._attempt("truncate out of range", self.stream, "truncate")
        return self.outcomes


@workflow.defn
class OfficialMisuse(_Misuse):
    """The misuses against ``temporalio.contrib.workflow_streams``."""

    impl = official

    @workflow.init
    def __init__(self, args: MisuseInput) -> None:
        super().__init__(args)

    @workflow.run
    async def run(self, args: MisuseInput) -> dict[str, Outcome]:
        return await self._run(args)


@workflow.defn
class WstreamMisuse(_Misuse):
    """The misuses against ``wstream``."""

    impl = wstream

    @workflow.init
    def __init__(self, args: MisuseInput) -> None:
        super().__init__(args)

    @workflow.run
    async def run(self, args: MisuseInput) -> dict[str, Outcome]:
        return await self._run(args)
