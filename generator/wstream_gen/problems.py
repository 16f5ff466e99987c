"""Problems found in a schema file, reported as ``file:line:column: path: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: A location inside the YAML document: mapping keys and sequence indexes.
DocPath = tuple[str | int, ...]


def format_path(path: DocPath) -> str:
    """Render a document path the way users read it, e.g. ``topics.order.status.payload``.

    Args:
        path: Keys and indexes from the document root.

    Returns:
        The dotted path, or an empty string for the document itself.
    """
    return ".".join('""' if part == "" else str(part) for part in path)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a schema file, with its position (1-based line and column).

    Attributes:
        file: The schema file as the user named it.
        line: 1-based line.
        column: 1-based column.
        path: Dotted document path (empty for the document itself).
        message: What is wrong, in one line.
    """

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        prefix = f"{self.file}:{self.line}:{self.column}: "
        return f"{prefix}{self.path}: {self.message}" if self.path else prefix + self.message


class SchemaError(Exception):
    """A schema file is invalid; carries every problem found, sorted by position."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(sorted(set(problems)))
        super().__init__("\n".join(str(problem) for problem in self.problems))
