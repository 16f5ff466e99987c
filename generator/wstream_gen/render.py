"""Render the wrapper modules from Jinja templates; values reach the code only as literals."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

import jinja2

from wstream_gen import __version__
from wstream_gen.models import ModelsModule
from wstream_gen.spec.stream import StreamSpec
from wstream_gen.spec.topic import TopicSpec

_SIMPLE_TYPES = frozenset({"int", "str", "float", "bool"})
#: Names client.py and stream.py import themselves when a ``type=`` argument needs a cast.
_CAST_NAMES = frozenset({"Any", "cast"})
#: Names topics.py.jinja imports itself (a value type may use them too, e.g. ``Literal``).
_TOPICS_TEMPLATE_NAMES = frozenset(
    {"Any", "Literal", "TypeAlias", "Union", "Mapping", "BaseModel", "WorkflowStreamItem"}
)


def py_literal(text: str) -> str:
    """Render text as a Python string literal that evaluates back to exactly ``text``.

    Args:
        text: Any string.

    Returns:
        A single-line literal (``repr`` escapes quotes, backslashes and line breaks).
    """
    return repr(text)


def docstring(text: str, indent: int = 0) -> str:
    """Render text as a triple-quoted docstring that cannot end early or run code.

    Quotes and backslashes are escaped, and every character that is not printable
    (line separators, control characters, lone surrogates) becomes an escape sequence.

    Args:
        text: The docstring's content (may be several lines).
        indent: Spaces before each continuation line.

    Returns:
        The literal, including its quotes.
    """
    pad = " " * indent
    lines = [_escape(line.rstrip()) for line in text.strip().split("\n")]
    body = ("\n" + pad).join(lines).replace("\n" + pad + "\n", "\n\n")
    if len(lines) > 1:
        body += "\n" + pad
    return f'"""{body}"""'


def _escape(line: str) -> str:
    out: list[str] = []
    for char in line:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char.isprintable():
            out.append(char)
        else:
            out.append(char.encode("unicode_escape", "backslashreplace").decode("ascii"))
    return "".join(out)


def comment(text: str) -> str:
    """Render text for a one-line ``#`` comment (``repr`` when it has unprintable characters).

    Args:
        text: The text.

    Returns:
        Text safe to place after ``#``.
    """
    return text if text.isprintable() else repr(text)


def topic_doc(topic: TopicSpec) -> str:
    """One ``Attributes:`` entry of a wrapper class docstring for a topic.

    Args:
        topic: The topic.

    Returns:
        A new line with the identifier, the wire name and the description on one line.
    """
    about = " ".join(topic.description.split())
    flag = " Deprecated." if topic.deprecated else ""
    return f"\n    {topic.identifier}: Topic {topic.wire_name!r}.{flag} {about}".rstrip()


@dataclass(frozen=True)
class TopicView:
    """What the templates need of one topic.

    Attributes:
        spec: The topic.
        value_type: Source text of the value type (``Status``, ``int``, ``Money | Status``).
        type_arg: Source text of the ``type=`` argument when binding the topic.
        codec: Source text of the codec expression (empty: the runtime's default).
    """

    spec: TopicSpec
    value_type: str
    type_arg: str
    codec: str


def topic_views(spec: StreamSpec, models: ModelsModule) -> list[TopicView]:
    """Work out each topic's value type and how to bind it.

    Args:
        spec: The stream spec.
        models: The generated models module.

    Returns:
        One view per topic, in schema order.
    """
    views = []
    for topic in spec.topics:
        cls = models.classes[topic.payload_class]
        if cls.root_type is None:
            value_type, type_arg = cls.name, cls.name
            codec = ""  # the runtime picks the pydantic-core codec for a model class
        else:
            value_type = cls.root_type
            # mypy cannot spell type[Literal[...]] or type[A | B]: the codec fixes the type.
            type_arg = value_type if value_type in _SIMPLE_TYPES else f"cast(Any, {cls.name})"
            codec = f"RootModelCodec({cls.name})"
        views.append(TopicView(topic, value_type, type_arg, codec))
    return views


def names_in(expression: str) -> set[str]:
    """Return the bare names a type expression uses (``Money | None`` -> ``{"Money"}``).

    Args:
        expression: Python source of a type expression.

    Returns:
        The names, excluding ``None``.
    """
    return {
        node.id
        for node in ast.walk(ast.parse(expression, mode="eval"))
        if isinstance(node, ast.Name)
    }


def model_imports(names: set[str], models: ModelsModule) -> list[str]:
    """Import lines for the names a module takes from the models, from where models.py got them.

    Args:
        names: Names the module's code uses (others are ignored: builtins, its own).
        models: The generated models module.

    Returns:
        One ``from X import ...`` line per source module (``.models`` for the generated
        classes), sorted; nothing for builtins.
    """
    by_module: dict[str, set[str]] = {}
    for name in names:
        if name in models.classes:
            by_module.setdefault(".models", set()).add(name)
        elif name in models.imports and models.imports[name] != "builtins":
            by_module.setdefault(models.imports[name], set()).add(name)
    return [
        f"from {module} import {', '.join(sorted(by_module[module]))}"
        for module in sorted(by_module)
    ]


def _used_in(expressions: list[str]) -> set[str]:
    return set().union(*(names_in(expression) for expression in expressions if expression))


def template_environment(
    folder: str, filters: Mapping[str, Callable[..., str]]
) -> jinja2.Environment:
    """A Jinja environment over the package's templates in ``folder``, with ``filters``.

    Undefined names fail the render, and nothing is escaped: every value reaches a template
    through a filter that writes it safely for the target language.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wstream_gen", folder),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(filters)
    return env


@cache
def _environment() -> jinja2.Environment:
    return template_environment(
        "templates",
        {
            "literal": py_literal,
            "docstring": docstring,
            "comment": comment,
            "topic_doc": topic_doc,
        },
    )


def header(spec: StreamSpec) -> str:
    """The first line of every generated Python file.

    Args:
        spec: The stream spec.

    Returns:
        A comment naming the schema file and the generator version.
    """
    return (
        f"# Generated by wstream-gen {__version__} from {comment(spec.source)}.\n"
        "# Do not edit: change the schema and re-run wstream-gen."
    )


def render_package(spec: StreamSpec, models: ModelsModule) -> dict[str, str]:
    """Render every file of the generated package (unformatted).

    Args:
        spec: The stream spec.
        models: The generated models module.

    Returns:
        File contents by name relative to the package directory.
    """
    views = topic_views(spec, models)
    # Each module imports exactly what its code names: the wrappers the value types, the
    # type= arguments and codecs; topics.py the value types and every payload class.
    handles = _used_in([e for v in views for e in (v.value_type, v.type_arg, v.codec)])
    values = _used_in([v.value_type for v in views]) | {v.spec.payload_class for v in views}
    context = {
        "spec": spec,
        "views": views,
        "header": header(spec),
        "models": models,
        "model_names": [m.name for m in spec.models]
        + [v.spec.payload_class for v in views if v.spec.defines_class],
        # With a cast, the template imports Any and cast from typing itself.
        "handle_imports": model_imports(
            handles - _CAST_NAMES if "cast" in handles else handles, models
        ),
        "topic_imports": model_imports(values - _TOPICS_TEMPLATE_NAMES, models),
        "any_deprecated": any(v.spec.deprecated for v in views),
        "any_cast": "cast" in handles,
        "any_root_codec": "RootModelCodec" in handles,
    }
    env = _environment()
    files = {
        name: env.get_template(f"{name}.jinja").render(context)
        for name in ("__init__.py", "models.py", "topics.py", "client.py", "stream.py")
    }
    files["py.typed"] = ""
    return files
