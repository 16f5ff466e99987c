"""The one error type of ``wstream tail``: a message for the user and an exit status."""

from __future__ import annotations

#: Exit status when the tail could not run (unknown workflow, unreachable server, ...).
EXIT_FAILURE = 1
#: Exit status for bad input: options, files, a schema that does not load.
EXIT_USAGE = 2


class TailError(Exception):
    """A failure to report in one message, without a traceback.

    Attributes:
        message: What went wrong, naming the thing and where.
        exit_status: The process exit status to use.
    """

    def __init__(self, message: str, exit_status: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_status = exit_status
