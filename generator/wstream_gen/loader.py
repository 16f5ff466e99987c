"""Read a schema file as YAML, keeping the line and column of every key and value."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from wstream_gen.problems import DocPath, Problem, SchemaError, format_path

_MERGE_TAG = "tag:yaml.org,2002:merge"
_COLLECTION_TAGS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


@dataclass
class Document:
    """A parsed schema file: plain data plus the position of every node.

    Attributes:
        file: The file name as the user gave it (used in every message).
        data: The document as plain ``dict``/``list``/scalars.
        values: 1-based (line, column) of each value, by document path.
        keys: 1-based (line, column) of each mapping key, by the path of its value.
    """

    file: str
    data: Any
    values: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[DocPath, tuple[int, int]] = field(default_factory=dict)

    def problem(self, path: DocPath, message: str, *, at_key: bool = False) -> Problem:
        """Build a problem located at ``path`` (its key when ``at_key``, else its value).

        Args:
            path: Where in the document the problem is.
            message: What is wrong.
            at_key: Point at the mapping key instead of its value.

        Returns:
            The located problem; an unknown path falls back to its nearest known parent.
        """
        table = self.keys if at_key and path in self.keys else self.values
        probe = path
        while probe not in table and probe:
            probe = probe[:-1]
        line, column = table.get(probe, (1, 1))
        return Problem(self.file, line, column, format_path(path), message)


class _Builder:
    """Turns a composed YAML node tree into plain data, recording positions and duplicates."""

    def __init__(self, document: Document, constructor: SafeConstructor) -> None:
        self.document = document
        self.problems: list[Problem] = []
        self.constructor = constructor
        self.active: set[int] = set()

    def build(self, node: Node, path: DocPath) -> Any:
        mark = node.start_mark
        self.document.values[path] = (mark.line + 1, mark.column + 1)
        if id(node) in self.active:
            self.problems.append(self.document.problem(path, "recursive YAML alias"))
            return None
        if isinstance(node, ScalarNode):
            try:
                value = self.constructor.construct_object(node, deep=True)
            except (YAMLError, ValueError, TypeError) as error:
                reason = error.problem if isinstance(error, MarkedYAMLError) else error
                self.problems.append(
                    self.document.problem(path, f"invalid value {node.value!r}: {reason}")
                )
                return None
            return self._json_scalar(value, node, path)
        if node.tag not in _COLLECTION_TAGS:
            self.problems.append(self.document.problem(path, f"unsupported YAML tag {node.tag!r}"))
            return None
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
        finally:
            self.active.discard(id(node))
        self.problems.append(self.document.problem(path, "unsupported YAML node"))
        return None

    def _json_scalar(self, value: Any, node: ScalarNode, path: DocPath) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            message = f"{node.value!r} is not a finite number; JSON has no NaN or infinity"
        elif value is None or isinstance(value, (str, int, float)):
            return value
        else:
            message = (
                f"{node.value!r} reads as a YAML {type(value).__name__}, which JSON has not; "
                "quote it to make it a string"
            )
        self.problems.append(self.document.problem(path, message))
        return None

    def _mapping(self, node: MappingNode, path: DocPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_mark = key_node.start_mark
            key_position = (key_mark.line + 1, key_mark.column + 1)
            if key_node.tag == _MERGE_TAG:
                self.problems.append(
                    Problem(self.document.file, *key_position, format_path(path),
                            "YAML merge keys (<<) are not supported")
                )  # fmt: skip
                continue
            key = (
                self.build(key_node, (*path, "<key>")) if isinstance(key_node, ScalarNode) else None
            )
            if not isinstance(key, str) or not isinstance(key_node, ScalarNode):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.problems.append(
                    Problem(self.document.file, *key_position, format_path(path),
                            f"mapping key {shown!r} must be a string")
                )  # fmt: skip
                continue
            child = (*path, key)
            if key in result:
                first_line, first_column = self.document.keys[child]
                self.problems.append(
                    Problem(self.document.file, *key_position, format_path(child),
                            f"duplicate key {key!r} (first defined at line {first_line}, "
                            f"column {first_column})")
                )  # fmt: skip
                continue
            self.document.keys[child] = key_position
            result[key] = self.build(value_node, child)
        self.document.values.pop((*path, "<key>"), None)
        return result


def parse(text: str, file: str) -> Document:
    """Parse YAML text into a :class:`Document`.

    Args:
        text: The YAML source.
        file: The file name to use in messages.

    Returns:
        The document with positions.

    Raises:
        SchemaError: The text is not valid YAML, has duplicate keys, non-string keys,
            merge keys or recursive aliases (every such problem is listed).
    """
    document = Document(file=file, data=None)
    yaml = YAML(typ="safe", pure=True)
    try:
        nodes = list(yaml.compose_all(text))
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        reason = error.problem or error.context or "invalid YAML"
        raise SchemaError([Problem(file, line, column, "", f"invalid YAML: {reason}")]) from None
    except YAMLError as error:
        raise SchemaError([Problem(file, 1, 1, "", f"invalid YAML: {error}")]) from None
    if not nodes or nodes[0] is None:
        raise SchemaError([Problem(file, 1, 1, "", "the file is empty; expected a mapping")])
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise SchemaError(
            [Problem(file, mark.line + 1, mark.column + 1, "", "expected one YAML document")]
        )
    builder = _Builder(document, yaml.constructor)
    document.data = builder.build(nodes[0], ())
    if builder.problems:
        raise SchemaError(builder.problems)
    return document


def load(path: Path, file: str | None = None) -> Document:
    """Read and parse a schema file.

    Args:
        path: The file to read.
        file: The name to show in messages (defaults to ``path`` as given).

    Returns:
        The parsed document.

    Raises:
        SchemaError: The file cannot be read or is not valid YAML.
    """
    shown = file if file is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise SchemaError(
            [Problem(shown, 1, 1, "", f"cannot read schema file: {reason}")]
        ) from None
    return parse(text, shown)
