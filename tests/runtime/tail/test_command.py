"""`wstream tail`: the real console script against the session dev server."""

from __future__ import annotations

import asyncio
import socket
import uuid
from pathlib import Path
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

from tests.runtime.helpers import start_host
from tests.runtime.stream_workflows import HostInput, HostWorkflow, NoStreamWorkflow
from tests.runtime.tail.process import Running, cli_env, publish, run_cli

ROOT = Path(__file__).resolve().parents[3]
ORDERS_SCHEMA = ROOT / "schema" / "examples" / "orders.yaml"


def address_of(client: Client) -> str:
    return client.service_client.config.target_host


async def finished_host(client: Client, task_queue: str, items: list[tuple[str, object]]) -> str:
    """A HostWorkflow that published ``items`` and then completed; returns its id."""
    handle = await start_host(client, task_queue)
    await publish(client, handle.id, items)
    await handle.signal(HostWorkflow.finish_now)
    await handle.result()
    return handle.id


async def test_json_lines_follow_live_items_and_end_with_the_workflow(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=2))
    tail = await Running.start(
        ["tail", handle.id, "--json", "--address", address_of(client)], cli_env(tmp_path)
    )
    try:
        assert (
            await tail.line()
            == '{"offset":0,"topic":"events","data":{"name":"from-workflow","n":0}}'
        )
        assert (
            await tail.line()
            == '{"offset":1,"topic":"events","data":{"name":"from-workflow","n":1}}'
        )
        # Published while the tail follows: it must pick them up live.
        binary = Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01")
        await publish(client, handle.id, [("notes", "héllo ✓"), ("blob", binary), ("n", None)])
        assert await tail.line() == '{"offset":2,"topic":"notes","data":"héllo ✓"}'
        assert await tail.line() == (
            '{"offset":3,"topic":"blob","data":{"encoding":"binary/plain","base64":"AAE="}}'
        )
        assert await tail.line() == '{"offset":4,"topic":"n","data":null}'
        await handle.signal(HostWorkflow.finish_now)
        done = await tail.finish()
    finally:
        await tail.stop()
    assert done.status == 0, done.err
    assert done.out == ""  # nothing after the five lines read above
    assert done.err == ""  # --json keeps stderr quiet when all is well


async def test_topic_filter_and_from_offset(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    workflow_id = await finished_host(
        client,
        task_queue,
        [("a", 1), ("b", 2), ("c", 3), ("a", 4), ("b", 5), ("a with space", 6)],
    )
    base = ["tail", workflow_id, "--json", "--address", address_of(client)]
    env = cli_env(tmp_path)

    filtered = await run_cli([*base, "--topic", "b", "-t", "a with space", "--from", "2"], env)
    assert filtered.status == 0, filtered.err
    assert filtered.lines == [
        '{"offset":4,"topic":"b","data":5}',
        '{"offset":5,"topic":"a with space","data":6}',
    ]

    last_two = await run_cli([*base, "--from", "-2"], env)
    assert last_two.status == 0, last_two.err
    assert last_two.lines == [
        '{"offset":4,"topic":"b","data":5}',
        '{"offset":5,"topic":"a with space","data":6}',
    ]


async def test_readable_lines_and_from_end(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    handle = await start_host(client, task_queue, HostInput(publish_from_workflow=3))
    tail = await Running.start(
        ["tail", handle.id, "--from-end", "--address", address_of(client)], cli_env(tmp_path)
    )
    try:
        started = await tail.err_until("following")
        assert started == (
            f"wstream tail: following workflow {handle.id!r} from offset 3 (every topic)"
        )
        await publish(client, handle.id, [("progress", {"percent": 10, "step": "fetch"})])
        assert await tail.line() == '     3  progress  {"percent": 10, "step": "fetch"}'
        await handle.signal(HostWorkflow.finish_now)
        done = await tail.finish()
    finally:
        await tail.stop()
    assert done.status == 0, done.err
    assert done.out == ""
    assert f"workflow {handle.id!r} has closed; end of stream" in done.err
    assert "\x1b[" not in done.out  # not a terminal: no colours


async def test_schema_shows_models_and_warns_on_invalid_items(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    status = {"order_id": "A-1", "state": "paid", "total": {"amount": 1200, "currency": "EUR"}}
    workflow_id = await finished_host(
        client,
        task_queue,
        [
            ("order.status", status),
            ("progress", 42),
            ("tokens", "packing"),
            ("progress", 150),  # breaks maximum: 100
            ("order.status", {"order_id": "A-2", "state": "lost"}),  # not in the enum
            ("misc", {"a": 1}),  # not in the schema
        ],
    )
    base = ["tail", workflow_id, "--schema", str(ORDERS_SCHEMA), "--address", address_of(client)]

    shown = await run_cli(base, cli_env(tmp_path))
    assert shown.status == 0, shown.err
    assert shown.lines == [
        "     0  order.status  Status(order_id='A-1', state='paid', "
        "total=Money(amount=1200, currency='EUR'))",
        "     1  progress  Progress(42)",
        "     2  tokens  Tokens('packing')",
        "     3  progress  150",
        '     4  order.status  {"order_id": "A-2", "state": "lost"}',
        '     5  misc  {"a": 1}',
    ]
    warnings = [line for line in shown.err.splitlines() if "warning" in line]
    assert warnings == [
        "wstream tail: warning: item at offset 3 on topic 'progress' does not match Progress: "
        "value: Input should be less than or equal to 100; printed as received",
        "wstream tail: warning: item at offset 4 on topic 'order.status' does not match Status: "
        "state: Input should be 'created', 'paid' or 'shipped'; printed as received",
    ]

    as_json = await run_cli([*base, "--json", "--topic", "progress"], cli_env(tmp_path))
    assert as_json.status == 0, as_json.err
    assert as_json.lines == [
        '{"offset":1,"topic":"progress","data":42}',
        '{"offset":3,"topic":"progress","data":150}',
    ]
    assert "offset 3 on topic 'progress' does not match Progress" in as_json.err

    # The committed package generated from the same schema: the same lines, no generator run.
    from_package = await run_cli(
        ["tail", workflow_id, "--models", "orders", "--address", address_of(client)],
        cli_env(tmp_path, PYTHONPATH=str(ROOT / "generated")),
    )
    assert from_package.status == 0, from_package.err
    assert from_package.lines == shown.lines
    assert [line for line in from_package.err.splitlines() if "warning" in line] == warnings


async def test_invalid_schema_is_reported_before_connecting(tmp_path: Path) -> None:
    schema = tmp_path / "broken.yaml"
    schema.write_text("wstream: 1\nname: broken\ntopics:\n  t:\n    payload: {type: nope}\n")
    # The address is unreachable: a schema error must come first, with its position.
    done = await run_cli(
        ["tail", "wf", "--schema", str(schema), "--address", "127.0.0.1:1"], cli_env(tmp_path)
    )
    assert done.status == 2
    assert f"--schema {schema} is not a valid schema:" in done.err
    assert f"{schema}:5:" in done.err
    assert "Traceback" not in done.err


async def test_environment_variables_pick_server_and_namespace(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    workflow_id = await finished_host(client, task_queue, [("t", "x")])
    address = address_of(client)

    from_env = await run_cli(
        ["tail", workflow_id, "--json"],
        cli_env(tmp_path, TEMPORAL_ADDRESS=address, TEMPORAL_NAMESPACE="default"),
    )
    assert from_env.status == 0, from_env.err
    assert from_env.lines == ['{"offset":0,"topic":"t","data":"x"}']

    other_namespace = cli_env(tmp_path, TEMPORAL_ADDRESS=address, TEMPORAL_NAMESPACE="no-such-ns")
    wrong = await run_cli(["tail", workflow_id, "--json"], other_namespace)
    assert wrong.status == 1
    assert "no-such-ns" in wrong.err
    assert "Traceback" not in wrong.err

    flag_wins = await run_cli(["tail", workflow_id, "--json", "-n", "default"], other_namespace)
    assert flag_wins.status == 0, flag_wins.err
    assert flag_wins.lines == ['{"offset":0,"topic":"t","data":"x"}']


async def test_profile_of_a_temporal_config_file_picks_the_server(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    workflow_id = await finished_host(client, task_queue, [("t", "x")])
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"127.0.0.1:{probe.getsockname()[1]}"
    config = tmp_path / "temporal.toml"
    config.write_text(
        f'[profile.default]\naddress = "{dead}"\n\n'
        f'[profile.dev]\naddress = "{address_of(client)}"\nnamespace = "default"\n'
        '[profile.dev.grpc_meta]\nx-wstream-test = "profile-dev"\n'
    )
    env = cli_env(tmp_path, TEMPORAL_CONFIG_FILE=str(config))
    expected = ['{"offset":0,"topic":"t","data":"x"}']

    chosen = await run_cli(["tail", workflow_id, "--json", "--profile", "dev"], env)
    assert chosen.status == 0, chosen.err
    assert chosen.lines == expected

    by_env = await run_cli(["tail", workflow_id, "--json"], {**env, "TEMPORAL_PROFILE": "dev"})
    assert by_env.status == 0, by_env.err
    assert by_env.lines == expected

    default = await run_cli(["tail", workflow_id, "--json"], env)
    assert default.status == 1
    assert default.err.startswith(f"wstream tail: cannot connect to Temporal at {dead}")

    unknown = await run_cli(["tail", workflow_id, "--json", "--profile", "nope"], env)
    assert unknown.status == 2
    assert "cannot load the Temporal client configuration" in unknown.err
    assert "nope" in unknown.err
    assert "Traceback" not in unknown.err + default.err


async def test_unknown_workflow_no_stream_and_unreachable_server(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    plain = await client.start_workflow(
        NoStreamWorkflow.run, id=f"plain-{uuid.uuid4().hex[:8]}", task_queue=task_queue
    )
    no_stream = await run_cli(
        ["tail", plain.id, "--address", address_of(client)], cli_env(tmp_path)
    )
    await plain.signal(NoStreamWorkflow.finish_now)
    assert no_stream.status == 1
    assert no_stream.err.startswith(f"wstream tail: workflow {plain.id!r} hosts no workflow stream")
    assert "Traceback" not in no_stream.err

    missing = f"no-such-workflow-{uuid.uuid4().hex[:8]}"
    unknown = await run_cli(["tail", missing, "--address", address_of(client)], cli_env(tmp_path))
    assert unknown.status == 1
    assert unknown.out == ""
    assert unknown.err.startswith(f"wstream tail: workflow {missing!r} not found")
    assert "Traceback" not in unknown.err

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = await run_cli(["tail", "wf", "--address", f"127.0.0.1:{port}"], cli_env(tmp_path))
    assert unreachable.status == 1
    assert unreachable.err.startswith(
        f"wstream tail: cannot connect to Temporal at 127.0.0.1:{port}"
    )
    assert "Traceback" not in unreachable.err


async def next_run(latest: WorkflowHandle[Any, Any], first_run: str | None) -> None:
    """Return once the workflow runs under a new run id."""
    while (await latest.describe()).run_id == first_run:
        await asyncio.sleep(0.1)


async def test_follows_across_continue_as_new(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    handle = await start_host(client, task_queue)
    tail = await Running.start(
        ["tail", handle.id, "--json", "--address", address_of(client)], cli_env(tmp_path)
    )
    try:
        await publish(client, handle.id, [("t", "first run")])
        assert await tail.line() == '{"offset":0,"topic":"t","data":"first run"}'
        await handle.signal(HostWorkflow.request_continue_as_new)
        latest = client.get_workflow_handle(handle.id)
        await asyncio.wait_for(next_run(latest, handle.result_run_id), 30)
        await publish(client, handle.id, [("t", "second run")])
        assert await tail.line() == '{"offset":1,"topic":"t","data":"second run"}'
        await latest.signal(HostWorkflow.finish_now)
        done = await tail.finish()
    finally:
        await tail.stop()
    assert done.status == 0, done.err
    assert done.out == ""


async def test_truncated_items_are_reported(
    client: Client, task_queue: str, worker: Worker, tmp_path: Path
) -> None:
    handle = await start_host(client, task_queue)
    await publish(client, handle.id, [("t", n) for n in range(5)])
    await handle.signal(HostWorkflow.request_truncate, 3)
    await handle.signal(HostWorkflow.finish_now)
    await handle.result()
    base = ["tail", handle.id, "--json", "--address", address_of(client)]
    expected = ['{"offset":3,"topic":"t","data":3}', '{"offset":4,"topic":"t","data":4}']
    # Offset 0 means "from the first retained item": nothing was asked for and lost.
    from_start = await run_cli(base, cli_env(tmp_path))
    assert from_start.status == 0, from_start.err
    assert (from_start.lines, from_start.err) == (expected, "")

    from_one = await run_cli([*base, "--from", "1"], cli_env(tmp_path))
    assert from_one.status == 0, from_one.err
    assert from_one.lines == expected
    assert from_one.err == (
        f"wstream: WARNING: workflow stream {handle.id}: offset 1 was truncated; skipped 2 items "
        "and resumed at offset 3\n"
    )
