"""Subcommands of ``wstream-gen`` next to generation: ``diff`` and ``export``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from wstream_gen.commands.diff import run_diff
from wstream_gen.commands.export import run_export

#: Subcommand name -> its entry point (arguments after the name -> exit status).
SUBCOMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "diff": run_diff,
    "export": run_export,
}

__all__ = ["SUBCOMMANDS"]
