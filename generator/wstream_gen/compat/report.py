"""Findings of ``wstream-gen diff``: impact, location, and how they are printed."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from wstream_gen.loader import Document
from wstream_gen.problems import DocPath


class Impact(enum.Enum):
    """What a change does to a rolling deploy.

    Attributes:
        BREAKING: NEW rejects an item OLD accepts: new subscribers fail on items that old
            publishers still send and on the items already in the stream's log.
        SUBSCRIBERS_FIRST: NEW accepts an item OLD rejects: old subscribers still running
            fail on what new publishers send, so upgrade subscribers before publishers.
        COMPATIBLE: The wire changes, and both old and new subscribers accept every item.
        API: Nothing changes on the wire; generated Python names or behaviour do.
    """

    BREAKING = "breaking"
    SUBSCRIBERS_FIRST = "subscribers-first"
    COMPATIBLE = "compatible"
    API = "api"


@dataclass(frozen=True)
class Finding:
    """One difference between two schema versions, located in one of the two files.

    Attributes:
        impact: What the change does to a rolling deploy.
        file: The file the location is in (NEW, or OLD for something removed).
        line: 1-based line.
        column: 1-based column.
        path: Dotted document path of the change.
        message: What changed and who is affected, in one line.
    """

    impact: Impact
    file: str
    line: int
    column: int
    path: str
    message: str

    def is_breaking(self, strict: bool) -> bool:
        """Tell whether this finding fails the diff.

        Args:
            strict: Treat changes that need subscribers upgraded first as breaking.

        Returns:
            True for a breaking finding.
        """
        return self.impact is Impact.BREAKING or (
            strict and self.impact is Impact.SUBSCRIBERS_FIRST
        )

    def render(self, strict: bool) -> str:
        """Format as ``file:line:column: breaking|compatible: message (at path)``.

        Args:
            strict: As for :meth:`is_breaking`.

        Returns:
            The line to print.
        """
        label = "breaking" if self.is_breaking(strict) else "compatible"
        where = f" (at {self.path})" if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {label}: {self.message}{where}"


def locate(
    document: Document, path: DocPath, impact: Impact, message: str, *, at_key: bool = False
) -> Finding:
    """Build a finding at ``path`` in ``document`` (its key when ``at_key``).

    Args:
        document: The OLD or NEW schema file.
        path: Where the change is.
        impact: What it does to a rolling deploy.
        message: What changed.
        at_key: Point at the mapping key instead of the value.

    Returns:
        The located finding.
    """
    problem = document.problem(path, message, at_key=at_key)
    return Finding(impact, problem.file, problem.line, problem.column, problem.path, message)


def ordered(findings: Iterable[Finding], strict: bool) -> list[Finding]:
    """Order findings for printing: breaking ones first, otherwise in schema order.

    Args:
        findings: The findings in the order the comparison met them (topics in file order).
        strict: As for :meth:`Finding.is_breaking`.

    Returns:
        The ordered list, each finding once.
    """
    unique = list(dict.fromkeys(findings))
    return sorted(unique, key=lambda finding: not finding.is_breaking(strict))


def summary(findings: Iterable[Finding], strict: bool) -> str:
    """Summarise a diff in one line.

    Args:
        findings: Every finding.
        strict: As for :meth:`Finding.is_breaking`.

    Returns:
        E.g. ``wstream-gen diff: 1 breaking, 2 compatible``.
    """
    listed = list(findings)
    breaking = sum(finding.is_breaking(strict) for finding in listed)
    if not listed:
        return "wstream-gen diff: no changes that affect publishers, subscribers or the API"
    return f"wstream-gen diff: {breaking} breaking, {len(listed) - breaking} compatible"
