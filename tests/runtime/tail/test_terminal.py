"""`wstream tail` in a real terminal (tmux) and at the head of a pipe."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import HostInput, HostWorkflow
from tests.runtime.tail.process import cli_env, publish, script

COLUMNS, ROWS = 110, 30


class Tmux:
    """A tmux server on a private socket, with one detached session of a fixed size."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"wstream-tail-{uuid.uuid4().hex[:10]}"
        self.env = env

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return done.stdout

    def start(self, command: str) -> None:
        self.tmux("new-session", "-d", "-s", "tail", "-x", str(COLUMNS), "-y", str(ROWS), command)

    def screen(self, *, escapes: bool = False) -> str:
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", "tail")

    async def wait_for(self, text: str, timeout: float = 30) -> str:
        """Poll the screen until it shows ``text``; return the screen."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if loop.time() > deadline:
                raise AssertionError(f"screen never showed {text!r}; it shows:\n{screen}")
            await asyncio.sleep(0.1)

    def kill(self) -> None:
        subprocess.run(
            ["tmux", "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=10,
        )


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip(
            "tmux is not installed: `make setup-test` installs it with apt-get "
            "(when CI is set, this skip fails the run)"
        )
    env = cli_env(tmp_path, TERM="xterm-256color")
    server = Tmux(env)
    try:
        yield server
    finally:
        server.kill()


async def test_follows_on_a_terminal_and_ctrl_c_exits_cleanly(
    client: Client, task_queue: str, worker: Worker, tmux: Tmux
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=1))
    address = client.service_client.config.target_host
    command = f"{shlex.quote(script())} tail {shlex.quote(handle.id)} --address {address}"
    # The shell stays after wstream exits, so the screen can show the exit status.
    tmux.start(f"{command}; echo EXIT=$?; sleep 600")

    screen = await tmux.wait_for(f"following workflow {handle.id!r} from offset 0")
    await tmux.wait_for('     0  events  {"name": "from-workflow", "n": 0}')
    await publish(client, handle.id, [("progress", 7), ("notes", "ünïcode ✓")])
    await tmux.wait_for("     2  notes")
    screen = tmux.screen()
    assert "     1  progress  7" in screen.splitlines()
    assert '     2  notes  "ünïcode ✓"' in screen.splitlines()
    # On a terminal the offset and topic are coloured.
    assert "\x1b[36mprogress" in tmux.screen(escapes=True)

    tmux.tmux("send-keys", "-t", "tail", "C-c")
    screen = await tmux.wait_for("EXIT=")
    lines = screen.splitlines()
    assert lines[lines.index("EXIT=130") - 1] == "^C"  # on its own line, nothing printed after
    assert "Traceback" not in screen
    assert "Error" not in screen
    await handle.signal(HostWorkflow.finish_now)


async def test_head_of_a_pipe_exits_quietly(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    # Far more output than a pipe buffers, so wstream is still writing when head leaves.
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=3000))
    address = client.service_client.config.target_host
    err_file = tmp_path / "stderr.txt"
    pipeline = (
        f"set -o pipefail; {shlex.quote(script())} tail {shlex.quote(handle.id)} --json "
        f"--address {address} 2>{shlex.quote(str(err_file))} | head -n 2"
    )
    done = await asyncio.to_thread(
        subprocess.run,
        ["bash", "-c", pipeline],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    await handle.signal(HostWorkflow.finish_now)
    assert done.returncode == 0, (done.stderr, err_file.read_text())
    assert done.stdout.splitlines() == [
        '{"offset":0,"topic":"events","data":{"name":"from-workflow","n":0}}',
        '{"offset":1,"topic":"events","data":{"name":"from-workflow","n":1}}',
    ]
    assert err_file.read_text() == ""
