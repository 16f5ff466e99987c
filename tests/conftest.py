"""Shared pytest fixtures: the Temporal servers live in temporal_server.py."""

from temporal_server import (  # noqa: F401  (re-exported fixtures)
    client,
    dev_env,
    task_queue,
    time_skipping_env,
    workflow_id,
)
