"""Shared fixtures (Temporal servers: temporal_server.py) and the CI guard against skips."""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path

import pytest
from temporal_server import (  # noqa: F401  (re-exported fixtures)
    client,
    dev_env,
    task_queue,
    time_skipping_env,
    workflow_id,
)

ROOT = Path(__file__).resolve().parent.parent

#: Tests that skip when a system tool is missing (tmux, Debian's chromium, Node.js with the
#: locked ts/ toolchain). `make setup-test` installs them; in CI a skip of these means an
#: untested promise, so it fails the run.
MUST_RUN_IN_CI = frozenset(
    {
        "tests/runtime/tail/test_terminal.py",
        "tests/runtime/sse/test_browser.py",
        "tests/interop_ts/test_roundtrip.py",
    }
)


def in_ci() -> bool:
    """Whether the run is CI's: the environment variable ``CI`` is set (and not 0/false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """In CI, turn a skip of a test in ``MUST_RUN_IN_CI`` into a failure."""
    report = yield
    if report.skipped and in_ci() and not hasattr(report, "wasxfail"):
        try:
            where = item.path.resolve().relative_to(ROOT).as_posix()
        except ValueError:
            where = ""
        if where in MUST_RUN_IN_CI:
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            report.outcome = "failed"
            report.longrepr = (
                f"skipped in CI (CI={os.environ['CI']!r}), and a skip is not a pass: {reason}"
            )
    return report
