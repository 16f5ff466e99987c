"""The ``tail`` subcommand: its arguments, and following one stream until its workflow ends."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from temporalio.common import RawValue
from temporalio.service import RPCError

from wstream.client import WorkflowStreamClient
from wstream.errors import StreamNotFoundError
from wstream.tail.errors import EXIT_USAGE, TailError
from wstream.tail.options import (
    ConnectSettings,
    add_connection_arguments,
    connect,
    connect_settings,
)
from wstream.tail.render import Printer
from wstream.tail.schema_models import TopicModels, describe
from wstream.tail.values import payload_json

_EXAMPLES = """\
examples:
  wstream tail order-42                          every item from the start, then follow
  wstream tail order-42 --from-end -t progress   only new items of topic "progress"
  wstream tail order-42 --from -10               the last 10 items, then follow
  wstream tail order-42 --schema orders.yaml     check and show items as the schema's models
  wstream tail order-42 --json | jq .data        one JSON object per line

Ends by itself once the workflow has closed and every item was printed; Ctrl-C stops it
(exit status 130). Exit status 1: the workflow or server was not found; 2: bad input.
"""


def add_tail_parser(subparsers: Any) -> None:
    """Register ``tail`` on the ``wstream`` command's subparsers.

    Args:
        subparsers: What ``ArgumentParser.add_subparsers`` returned.
    """
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tail",
        help="follow a workflow's stream live, like tail -f",
        description="Print the items of the stream hosted by workflow WORKFLOW_ID and follow it.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "workflow_id", metavar="WORKFLOW_ID", help="the workflow hosting the stream"
    )
    parser.add_argument(
        "--topic",
        "-t",
        action="append",
        metavar="NAME",
        help="only this topic (repeat for several; default: every topic)",
    )
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--from",
        dest="from_offset",
        type=int,
        metavar="OFFSET",
        help="first offset to print (default 0); negative: that many items before the end",
    )
    start.add_argument(
        "--from-end", action="store_true", help="print only items published from now on"
    )
    parser.add_argument(
        "--schema",
        metavar="SCHEMA",
        help="topics schema (YAML): check each item against its topic's model and show it as one",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per line (for jq)")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the output (default auto: on a terminal unless NO_COLOR is set)",
    )
    add_connection_arguments(parser)
    parser.set_defaults(handler=run_tail)


def run_tail(
    args: argparse.Namespace,
    *,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``wstream tail`` with parsed arguments.

    Args:
        args: The parsed arguments.
        environ: The environment (default: ``os.environ``).
        out: Where items go (default: stdout).
        err: Where warnings and errors go (default: stderr).

    Returns:
        The exit status: 0 once the workflow has closed and its stream was printed (or the
        reader of a pipe went away), 1 when following failed, 2 for bad input.
    """
    environ = os.environ if environ is None else environ
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    printer = Printer.for_streams(out, err, as_json=args.json, colour=args.color, environ=environ)
    try:
        if not args.workflow_id:
            raise TailError("WORKFLOW_ID must not be empty", EXIT_USAGE)
        models = TopicModels.load(args.schema) if args.schema else None
        settings = connect_settings(args, environ)
        asyncio.run(_follow(args, settings, printer, models))
    except TailError as error:
        err.write(f"wstream tail: {error.message}\n")
        return error.exit_status
    except BrokenPipeError:
        _silence(out)  # `wstream tail ... | head`: the reader has all it wanted
    return 0


async def _follow(
    args: argparse.Namespace,
    settings: ConnectSettings,
    printer: Printer,
    models: TopicModels | None,
) -> None:
    client = await connect(settings)
    workflow_id: str = args.workflow_id
    stream = WorkflowStreamClient.create(client, workflow_id)
    converter = client.data_converter.payload_converter
    try:
        start = await _start_offset(args, stream)
        topics = ", ".join(repr(topic) for topic in args.topic) if args.topic else "every topic"
        printer.note(f"following workflow {workflow_id!r} from offset {start} ({topics})")
        items = stream.subscribe(args.topic or None, start, result_type=RawValue)
        async for item in items:
            data = payload_json(item.data.payload, converter)
            shown = None
            if models is not None:
                checked = models.check(item.topic, data)
                if checked.problem is not None:
                    printer.warning(
                        f"item at offset {item.offset} on topic {item.topic!r} "
                        f"{checked.problem}; printed as received"
                    )
                elif checked.model is not None:
                    shown = describe(checked.model)
            printer.item(item.offset, item.topic, data, shown)
    except StreamNotFoundError as error:
        raise TailError(f"{error} (namespace {settings.namespace!r})") from None
    except RPCError as error:
        raise TailError(
            f"server error while following workflow {workflow_id!r}: {error.status.name}: "
            f"{error.message}"
        ) from None
    except BrokenPipeError:
        raise  # the reader of our output left: not a failure (see run_tail)
    except Exception as error:  # e.g. a query the workflow failed: one line, no traceback
        raise TailError(
            f"following workflow {workflow_id!r} failed: {type(error).__name__}: {error}"
        ) from None
    printer.note(f"workflow {workflow_id!r} has closed; end of stream")


async def _start_offset(args: argparse.Namespace, stream: WorkflowStreamClient) -> int:
    # Asking for the end offset first also proves the workflow exists and hosts a stream
    # before anything says it is being followed.
    end = await stream.get_offset()
    requested: int | None = args.from_offset
    if args.from_end:
        return end
    if requested is None:
        return 0
    if requested < 0:
        return max(0, end + requested)
    return requested


def _silence(out: TextIO) -> None:
    """Point the output at /dev/null so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
    except (OSError, ValueError):  # not a real file: nothing will flush it at exit
        pass
