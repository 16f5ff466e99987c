"""The README's runtime example, run as written on a real dev server (sandboxed workflow)."""

from __future__ import annotations

import asyncio
import importlib
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.helpers import runs_of
from wstream import WorkflowStreamClient

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def runtime_example() -> str:
    """The first Python block under '## The runtime in one example'."""
    section = README.read_text().split("## The runtime in one example", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README: no python block under '## The runtime in one example'"
    return match.group(1)


def import_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The README's example as a module of its own name (the sandbox re-imports it by name)."""
    name = f"readme_example_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(runtime_example())
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(name)


def test_example_is_formatted_and_lint_clean(tmp_path: Path) -> None:
    source = tmp_path / "readme_example.py"
    source.write_text(runtime_example())
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(ROOT / "pyproject.toml")]
    for command in (["format", "--check", "--diff"], ["check", "--select", "E,F,W,B,UP,SIM"]):
        result = subprocess.run(
            [*ruff, *command, *config, str(source)], capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr


async def test_example_runs_as_written(
    client: Client,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = import_example(tmp_path, monkeypatch)
    workflow_id = f"readme-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=task_queue, workflows=[example.Job]):
        handle = await client.start_workflow(
            example.Job.run, None, id=workflow_id, task_queue=task_queue
        )
        # The workflow's own first item lands before the client publishes its two.
        stream = WorkflowStreamClient.create(client, workflow_id)
        while await stream.get_offset() < 1:
            await asyncio.sleep(0.05)
        await example.publish(client, workflow_id)
        await handle.signal(example.Job.finish)
        capsys.readouterr()
        await asyncio.wait_for(example.follow(client, workflow_id), 60)
    assert capsys.readouterr().out.splitlines() == ["0 start 0", "1 fetch 10", "2 done 100"]
    assert await handle.result() is None  # finished by the signal, after the stream drained


async def test_example_continues_as_new_and_reads_every_run(
    client: Client,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The test dev server suggests continue-as-new at 300 history events (the lowered
    # budget); one signal per item takes the example's workflow through several runs, each
    # at least 1 s long (the stream's minimum run age), so publishing goes on until the
    # third run has started.
    example = import_example(tmp_path, monkeypatch)
    workflow_id = f"readme-long-{uuid.uuid4().hex[:8]}"
    count = 0
    runs_seen: set[str] = set()
    async with Worker(client, task_queue=task_queue, workflows=[example.Job]):
        handle = await client.start_workflow(
            example.Job.run, None, id=workflow_id, task_queue=task_queue
        )
        stream = WorkflowStreamClient.create(client, workflow_id, max_batch_size=1)
        progress = stream.topic("progress", type=example.Progress)
        while await stream.get_offset() < 1:
            await asyncio.sleep(0.05)
        latest = client.get_workflow_handle(workflow_id)
        async with stream:
            while count < 800 or len(runs_seen) < 3:
                assert count < 5_000, f"the example went through {len(runs_seen)} runs only"
                progress.publish(example.Progress(step=f"s{count}", percent=count % 101))
                await stream.flush()  # one signal per item: history grows fast
                count += 1
                if count % 50 == 0:
                    runs_seen.add((await latest.describe()).run_id)
        await example.publish(client, workflow_id)
        await client.get_workflow_handle(workflow_id).signal(example.Job.finish)
        capsys.readouterr()
        await asyncio.wait_for(example.follow(client, workflow_id), 120)
        assert await handle.result() is None
    expected = ["0 start 0"]
    expected += [f"{n + 1} s{n} {n % 101}" for n in range(count)]
    expected += [f"{count + 1} fetch 10", f"{count + 2} done 100"]
    assert capsys.readouterr().out.splitlines() == expected
    assert len(await runs_of(client, workflow_id)) >= 3
