"""Lines ``wstream tail`` prints: ``offset  topic  data`` for people, JSON objects for tools."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_CYAN = "\x1b[36m"
_YELLOW = "\x1b[33m"

#: Width the offset column is padded to, so short streams line up.
_OFFSET_WIDTH = 6


def use_colour(choice: str, stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Decide whether to colour output.

    Args:
        choice: ``always``, ``never`` or ``auto`` (colour a terminal unless ``NO_COLOR`` is set
            to a non-empty value, see no-color.org).
        stream: Where the lines go.
        environ: The environment.

    Returns:
        Whether to use ANSI colours.
    """
    if choice != "auto":
        return choice == "always"
    if environ.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except ValueError:  # a closed stream is not a terminal
        return False


def json_text(value: Any) -> str:
    """Compact JSON, non-ASCII characters kept as they are.

    Args:
        value: A JSON-compatible value.

    Returns:
        One line of JSON.
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_line(offset: int, topic: str, data: Any) -> str:
    """The ``--json`` form of an item: ``{"offset":…,"topic":…,"data":…}``.

    Args:
        offset: The item's offset.
        topic: The item's topic.
        data: The item's data as a JSON value.

    Returns:
        One line of JSON (without the newline).
    """
    return json_text({"offset": offset, "topic": topic, "data": data})


def human_line(offset: int, topic: str, shown: str, *, colour: bool) -> str:
    """The readable form of an item: offset, topic and data, two spaces apart.

    Args:
        offset: The item's offset.
        topic: The item's topic.
        shown: The data as text (JSON, or a model's rendering).
        colour: Whether to colour the offset and topic.

    Returns:
        One line (without the newline); line breaks in the topic or data are escaped.
    """
    number = str(offset).rjust(_OFFSET_WIDTH)
    name = _one_line(topic)
    if colour:
        number, name = f"{_DIM}{number}{_RESET}", f"{_CYAN}{name}{_RESET}"
    return f"{number}  {name}  {_one_line(shown)}"


def warning_line(text: str, *, colour: bool) -> str:
    """A warning for stderr, prefixed with the command name.

    Args:
        text: What is wrong.
        colour: Whether to colour it.

    Returns:
        One line (without the newline).
    """
    line = f"wstream tail: warning: {_one_line(text)}"
    return f"{_YELLOW}{line}{_RESET}" if colour else line


def _one_line(text: str) -> str:
    """Keep an item on one line, and terminal control characters off the screen."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class Printer:
    """Writes items and warnings, flushing each line so a pipe sees it at once."""

    def __init__(
        self, out: TextIO, err: TextIO, *, as_json: bool, colour: bool, err_colour: bool
    ) -> None:
        """Print items to ``out`` (as JSON lines or readable lines) and warnings to ``err``."""
        self._out = out
        self._err = err
        self._as_json = as_json
        self._colour = colour
        self._err_colour = err_colour

    @classmethod
    def for_streams(
        cls, out: TextIO, err: TextIO, *, as_json: bool, colour: str, environ: Mapping[str, str]
    ) -> Printer:
        """Build a printer, deciding colours for each stream.

        Args:
            out: Where items go.
            err: Where warnings go.
            as_json: One JSON object per line instead of readable lines.
            colour: ``auto``, ``always`` or ``never``.
            environ: The environment (for ``NO_COLOR``).

        Returns:
            The printer.
        """
        return cls(
            out,
            err,
            as_json=as_json,
            colour=not as_json and use_colour(colour, out, environ),
            err_colour=use_colour(colour, err, environ),
        )

    @property
    def as_json(self) -> bool:
        """Whether items are printed as JSON lines."""
        return self._as_json

    def item(self, offset: int, topic: str, data: Any, shown: str | None = None) -> None:
        """Print one item.

        Args:
            offset: The item's offset.
            topic: The item's topic.
            data: The item's data as a JSON value.
            shown: A readable rendering to print instead of the JSON (readable form only).
        """
        if self._as_json:
            line = json_line(offset, topic, data)
        else:
            text = shown if shown is not None else json.dumps(data, ensure_ascii=False)
            line = human_line(offset, topic, text, colour=self._colour)
        self._out.write(line + "\n")
        self._out.flush()

    def warning(self, text: str) -> None:
        """Print a warning to stderr.

        Args:
            text: What is wrong.
        """
        self._err.write(warning_line(text, colour=self._err_colour) + "\n")
        self._err.flush()

    def note(self, text: str) -> None:
        """Print an informational line to stderr (readable form only).

        Args:
            text: The note.
        """
        if not self._as_json:
            self._err.write(f"wstream tail: {text}\n")
            self._err.flush()
