"""Run the real ``wstream`` console script as a subprocess, and publish what it should print."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from wstream import WorkflowStreamClient

#: The console script `uv sync` installs next to the interpreter.
WSTREAM = Path(sys.executable).with_name("wstream")


def script() -> str:
    """The console script's path, or fail with how to get it."""
    if not WSTREAM.exists():
        pytest.fail(f"console script {WSTREAM} is missing; run `make setup` (uv sync)")
    return str(WSTREAM)


def cli_env(tmp: Path, **extra: str) -> dict[str, str]:
    """An environment without the caller's TEMPORAL_* settings, colours or config file."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TEMPORAL_") and key != "NO_COLOR"
    }
    env["TEMPORAL_CONFIG_FILE"] = str(tmp / "no-temporal-config.toml")
    env["PYTHONUTF8"] = "1"
    env.update(extra)
    return env


@dataclass(frozen=True)
class Finished:
    """A finished run: exit status and output."""

    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


async def run_cli(args: Sequence[str], env: dict[str, str], timeout: float = 60) -> Finished:
    """Run ``wstream ARGS`` to its end."""
    process = await asyncio.create_subprocess_exec(
        script(),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Finished(process.returncode, out.decode(), err.decode())


class Running:
    """A ``wstream`` process still running, read line by line."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.err_lines: list[str] = []

    @classmethod
    async def start(cls, args: Sequence[str], env: dict[str, str]) -> Running:
        process = await asyncio.create_subprocess_exec(
            script(),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        return cls(process)

    async def line(self, timeout: float = 30) -> str:
        """The next line of stdout (fails on timeout or end of output)."""
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        assert raw, "wstream ended its output early"
        return raw.decode().rstrip("\n")

    async def err_until(self, text: str, timeout: float = 30) -> str:
        """Read stderr until a line contains ``text``; return that line."""
        assert self.process.stderr is not None
        while True:
            raw = await asyncio.wait_for(self.process.stderr.readline(), timeout)
            assert raw, f"stderr ended before a line with {text!r}: {self.err_lines}"
            self.err_lines.append(raw.decode().rstrip("\n"))
            if text in self.err_lines[-1]:
                return self.err_lines[-1]

    async def finish(self, timeout: float = 60) -> Finished:
        """Wait for the process to end by itself."""
        try:
            out, err = await asyncio.wait_for(self.process.communicate(), timeout)
        finally:
            if self.process.returncode is None:
                self.process.kill()
                await self.process.wait()
        assert self.process.returncode is not None
        err_text = "\n".join([*self.err_lines, err.decode()])
        return Finished(self.process.returncode, out.decode(), err_text)

    async def stop(self) -> None:
        """Kill the process if it still runs (teardown)."""
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def publish(client: Client, workflow_id: str, items: Sequence[tuple[str, Any]]) -> None:
    """Publish ``(topic, value)`` pairs untyped (JSON via the payload converter) and flush."""
    stream = WorkflowStreamClient.create(client, workflow_id)
    async with stream:
        for topic, value in items:
            stream.topic(topic).publish(value)
        await stream.flush()
