"""TypeScript names and literals for the generated code; schema text reaches it only escaped."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from wstream_gen.loader import Document
from wstream_gen.models import plain_text
from wstream_gen.problems import Problem
from wstream_gen.spec.stream import StreamSpec

_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
#: Type names topics.ts declares itself, next to the model types it imports.
RESERVED_TYPES = frozenset({"TopicName", "TopicPayloads"})


def ts_string(text: str) -> str:
    """Render text as a TypeScript string literal that evaluates back to exactly ``text``.

    JSON with ASCII escapes: quotes, backslashes, line terminators and every non-ASCII
    character are escaped, so the literal is one line of plain ASCII.

    Args:
        text: Any string.

    Returns:
        The double-quoted literal.
    """
    return json.dumps(text, ensure_ascii=True)


def ts_key(name: str) -> str:
    """Render a property name: bare when it is an identifier, else a string literal.

    Args:
        name: The property name.

    Returns:
        Source text usable as an interface or object-literal key.
    """
    return name if _JS_IDENTIFIER.fullmatch(name) else ts_string(name)


def camel_case(identifier: str) -> str:
    """Turn a topic's Python attribute name into its TypeScript property name.

    ``tool_call`` becomes ``toolCall``; a trailing underscore (``class_``) is dropped.

    Args:
        identifier: A validated Python identifier (no leading underscore).

    Returns:
        The camelCase name.
    """
    first, *rest = identifier.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def doc_comment(text: str, indent: int = 0) -> str:
    """Render text as a ``/** ... */`` comment that cannot end early.

    Unprintable characters become escape sequences, and a backslash splits every ``*/``.

    Args:
        text: The comment's content (may be several lines).
        indent: Spaces before every line after the first.

    Returns:
        The comment, one line when the text is.
    """
    lines = [line.rstrip().replace("*/", "*\\/") for line in plain_text(text.strip()).split("\n")]
    if len(lines) == 1:
        return f"/** {lines[0]} */"
    pad = " " * indent
    body = "".join(f"\n{pad} *{' ' + line if line else ''}" for line in lines)
    return f"/**{body}\n{pad} */"


def check_names(document: Document, spec: StreamSpec) -> Iterator[Problem]:
    """Report the names that work in Python but not in the TypeScript output.

    Args:
        document: The document (for locations).
        spec: The stream spec.

    Yields:
        A problem for a model or payload type named like a declaration of topics.ts, and
        for two topics whose TypeScript property names are the same.
    """
    for model in spec.models:
        if model.name in RESERVED_TYPES:
            yield document.problem(
                ("models", model.name),
                f"model name {model.name!r} is reserved by the TypeScript output; rename the model",
                at_key=True,
            )
    seen: dict[str, str] = {}
    for topic in spec.topics:
        if topic.defines_class and topic.payload_class in RESERVED_TYPES:
            yield document.problem(
                (*topic.path, "payload"),
                f"payload type {topic.payload_class!r} of topic {topic.wire_name!r} is reserved "
                "by the TypeScript output; set a different payload title",
            )
        member = camel_case(topic.identifier)
        if member in seen:
            yield document.problem(
                topic.path,
                f"TypeScript name {member!r} of topic {topic.wire_name!r} (from "
                f"{topic.identifier!r}) collides with topic {seen[member]!r}; "
                "set a different python_name",
                at_key=True,
            )
        seen.setdefault(member, topic.wire_name)
