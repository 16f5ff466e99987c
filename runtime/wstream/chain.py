"""Tells a stream that is gone from a run that is only continuing as new."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode


async def still_running(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow behind ``handle`` still runs, after a call was told NOT_FOUND.

    While a run continues as new the server can refuse a signal or query to the workflow id
    as "already completed" for a moment; the chain goes on in the next run, so the caller
    asks again. A run-bound handle runs on only while that very run does.

    Returns:
        ``False`` when the workflow does not exist or its current run has closed for good;
        ``True`` when it runs, or when the server cannot tell now (the caller's own retry
        deadline then decides).
    """
    try:
        description = await handle.describe()
    except RPCError as error:
        return error.status != RPCStatusCode.NOT_FOUND
    if description.status == WorkflowExecutionStatus.RUNNING:
        return True
    # An id-only handle describes the latest run; seen as continued-as-new, the next run is
    # about to be current.
    return handle.run_id is None and description.status == WorkflowExecutionStatus.CONTINUED_AS_NEW
