"""Python identifiers and class names derived from schema names, never executable text."""

from __future__ import annotations

import keyword
import re

_NOT_IDENTIFIER = re.compile(r"[^a-z0-9_]")
_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")

#: Members of the generated client and stream classes; a topic may not take these names.
RESERVED_MEMBERS: frozenset[str] = frozenset(
    {
        "create",
        "from_within_activity",
        "flush",
        "get_offset",
        "subscribe",
        "raw",
        "topic_names",
        "get_state",
        "detach_pollers",
        "continue_as_new",
        "continue_as_new_suggested",
        "base_offset",
        "end_offset",
        "truncate",
    }
)

#: Names the generated modules import or define; no model may take these names.
RESERVED_CLASSES: frozenset[str] = frozenset(
    {
        "Annotated",
        "Any",
        "AnyUrl",
        "AsyncIterator",
        "AwareDatetime",
        "BaseModel",
        "Callable",
        "Client",
        "ConfigDict",
        "Decimal",
        "Enum",
        "False",
        "Field",
        "Literal",
        "ModelCodec",
        "NoReturn",
        "None",
        "Optional",
        "RootModel",
        "RootModelCodec",
        "Self",
        "Sequence",
        "TopicHandle",
        "TopicName",
        "True",
        "TypeAlias",
        "UUID",
        "Union",
        "WorkflowStream",
        "WorkflowStreamClient",
        "WorkflowStreamItem",
        "WorkflowStreamState",
        "WorkflowTopicHandle",
    }
)


def is_identifier(name: str) -> bool:
    """Tell whether ``name`` is an ASCII Python identifier that is not a keyword.

    Args:
        name: The candidate.

    Returns:
        True when ``name`` can be used as an attribute or class name as is.
    """
    return _ASCII_IDENTIFIER.fullmatch(name) is not None and not keyword.iskeyword(name)


def derive_identifier(wire_name: str) -> str:
    """Derive a topic's Python name from its wire name.

    Lower-cases, turns every character other than ASCII letters, digits and ``_`` into
    ``_``, prefixes ``topic_`` to a leading digit and appends ``_`` to a keyword.

    Args:
        wire_name: The topic name on the wire.

    Returns:
        An identifier (which may still start with ``_``; the caller rejects those).
    """
    name = _NOT_IDENTIFIER.sub("_", wire_name.lower())
    if name[:1].isdigit():
        name = f"topic_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name = f"{name}_"
    return name


def pascal_case(text: str) -> str:
    """Turn an identifier or a title into a PascalCase class name.

    ``order_status`` and ``order status`` become ``OrderStatus``; a name that is already
    PascalCase is kept as is.

    Args:
        text: An identifier or free text.

    Returns:
        The class name, or an empty string when ``text`` has no ASCII letter or digit.
    """
    if _PASCAL.fullmatch(text):
        return text
    words = re.split(r"[^A-Za-z0-9]+", text)
    return "".join(word[:1].upper() + word[1:] for word in words if word)


def is_class_name(name: str) -> bool:
    """Tell whether ``name`` is a usable PascalCase class name.

    Args:
        name: The candidate.

    Returns:
        True for an ASCII PascalCase identifier that is not ``None``/``True``/``False``.
    """
    return _PASCAL.fullmatch(name) is not None and not keyword.iskeyword(name)
