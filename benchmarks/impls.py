"""The two implementations behind one small interface (their client APIs have the same shape)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.contrib.workflow_streams import WorkflowStreamClient as OfficialClient

from wstream import WorkflowStreamClient


@dataclass(frozen=True)
class Impl:
    """One implementation: its client class and the workflow hosting its stream."""

    name: str
    workflow: str
    client_class: Any
    #: The workflow hosting the stream with the README's continue-as-new pattern.
    long_workflow: str

    def client(self, client: Client, workflow_id: str, **options: Any) -> Any:
        """A stream client (``batch_interval`` and ``max_batch_size`` work for both)."""
        return self.client_class.create(client, workflow_id, **options)


WSTREAM = Impl("wstream", "WstreamHost", WorkflowStreamClient, "WstreamLongHost")
OFFICIAL = Impl("official", "OfficialHost", OfficialClient, "OfficialLongHost")
IMPLS = (WSTREAM, OFFICIAL)
