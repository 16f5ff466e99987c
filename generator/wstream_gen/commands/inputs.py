"""Load and validate the schema files a subcommand reads, reporting problems like generation."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from wstream_gen.loader import Document, load
from wstream_gen.paths import shown_path
from wstream_gen.problems import Problem, SchemaError
from wstream_gen.spec import StreamSpec, build_spec


def load_valid(command: str, given: Sequence[str]) -> list[tuple[Document, StreamSpec]] | None:
    """Load every schema file and build its spec, printing all problems when any is invalid.

    Args:
        command: The subcommand, for the closing message (``diff``).
        given: The schema paths as the user wrote them.

    Returns:
        One (document, spec) pair per file, or None when a file is invalid (its problems,
        as ``file:line:column: path: message``, are on standard error).
    """
    loaded: list[tuple[Document, StreamSpec]] = []
    problems: list[Problem] = []
    for path in given:
        try:
            document = load(Path(path), shown_path(path))
            loaded.append((document, build_spec(document)))
        except SchemaError as error:
            problems.extend(error.problems)
    if not problems:
        return loaded
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(
        f"wstream-gen {command}: {count} problem{'s' if count != 1 else ''}; nothing done",
        file=sys.stderr,
    )
    return None
