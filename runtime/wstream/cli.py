"""The ``wstream`` command: dispatches to its subcommands (``tail``)."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Sequence

from wstream.tail import add_tail_parser

#: Exit status after Ctrl-C, as shells report a process ended by SIGINT.
EXIT_INTERRUPTED = 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wstream", description="Work with Temporal Workflow Streams from the terminal."
    )
    commands = parser.add_subparsers(metavar="COMMAND", dest="command", required=True)
    add_tail_parser(commands)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments and run the chosen subcommand.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status (130 after Ctrl-C).
    """
    # The runtime logs what the user should know (e.g. items lost to truncation) as warnings.
    logging.basicConfig(format="wstream: %(levelname)s: %(message)s", level=logging.WARNING)
    try:
        args = _parser().parse_args(argv)
        status: int = args.handler(args)
        return status
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            if sys.stderr.isatty():
                sys.stderr.write("\n")  # the terminal echoed ^C; leave the next line clean
        return EXIT_INTERRUPTED
    except SystemExit as done:  # argparse: --help, or a usage error already printed
        return done.code if isinstance(done.code, int) else 0 if done.code is None else 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: run, then leave the process at once.

    The process exits without interpreter finalization: a short-lived process that used the
    Temporal core runtime can abort while finalizing (temporalio/sdk-python#300).

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Never returns; the annotation matches ``sys.exit(main())`` in the console script.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            # A terminal that cannot show a character gets an escape, never a crash.
            stream.reconfigure(errors="backslashreplace")
    status = run(argv)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    sys.exit(main())
