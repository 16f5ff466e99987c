"""Drive datamodel-code-generator: one Pydantic v2 module for the shared and payload models."""

from __future__ import annotations

import ast
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from datamodel_code_generator import (
    InputFileType,
    LiteralType,
    NamingStrategy,
    PythonVersion,
    generate,
)
from datamodel_code_generator.enums import DataModelType

from wstream_gen.loader import Document
from wstream_gen.problems import DocPath, Problem, SchemaError
from wstream_gen.spec.stream import StreamSpec

_ROOT_CLASS = "WstreamGenRoot"
_MODELS_REF = "#/models/"
_DEFS_REF = "#/$defs/"


@dataclass(frozen=True)
class ModelClass:
    """A class of the generated models module that a topic's values go through.

    Attributes:
        name: The class name.
        root_type: For a ``RootModel``, the source text of its value type (``int``,
            ``Money | Status``); None for an object model.
    """

    name: str
    root_type: str | None


@dataclass(frozen=True)
class ModelsModule:
    """The generated ``models.py`` and what the wrappers need to know about it.

    Attributes:
        body: The module's code, without header (imports and classes).
        classes: The named classes (shared models and topic payloads), by name.
        imports: For every name the module imports, the module it comes from.
    """

    body: str
    classes: dict[str, ModelClass]
    imports: dict[str, str]


def json_schema(spec: StreamSpec) -> dict[str, Any]:
    """Build the JSON Schema handed to datamodel-code-generator.

    Every shared model and every inline topic payload becomes one entry of ``$defs``
    under its class name; ``#/models/X`` references become ``#/$defs/X``.

    Args:
        spec: The stream spec.

    Returns:
        A draft 2020-12 JSON Schema document.
    """
    defs: dict[str, Any] = {}
    for model in spec.models:
        defs[model.name] = _rewrite_refs(model.schema)
    for topic in spec.topics:
        if topic.defines_class:
            defs[topic.payload_class] = _rewrite_refs(topic.payload)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


def _rewrite_refs(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {key: _rewrite_value(key, value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_rewrite_refs(item) for item in schema]
    return schema


def _rewrite_value(key: str, value: Any) -> Any:
    if key == "$ref" and isinstance(value, str) and value.startswith(_MODELS_REF):
        return _DEFS_REF + value[len(_MODELS_REF) :]
    if key in ("description", "title") and isinstance(value, str):
        return plain_text(value)
    return _rewrite_refs(value)


def plain_text(text: str) -> str:
    """Make documentation text safe for datamodel-code-generator's docstrings.

    Line breaks become newlines; every other character that is not printable (control
    characters, Unicode line and paragraph separators) is shown as its escape sequence.

    Args:
        text: A description or title from the schema.

    Returns:
        The text with only printable characters, spaces and newlines.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(
        "".join(
            char if char.isprintable() or char == "\t" else char.encode("unicode_escape").decode()
            for char in line
        )
        for line in lines
    )


def generate_models(spec: StreamSpec, document: Document) -> ModelsModule:
    """Generate the Pydantic models of a stream.

    Args:
        spec: The stream spec.
        document: The source document (to locate naming problems).

    Returns:
        The generated module.

    Raises:
        SchemaError: datamodel-code-generator renamed one of the stream's classes (a nested
            object took its name) or could not handle the schema.
    """
    try:
        with warnings.catch_warnings():
            # Running datamodel-code-generator itself on 3.10 is deprecated upstream (a
            # FutureWarning on every run); wstream-gen supports 3.10 (README, "Supported
            # Python versions"), and the generated code's target is 3.10 either way.
            warnings.filterwarnings(
                "ignore", "Running datamodel-code-generator on Python 3.10", FutureWarning
            )
            output = generate(
                json_schema(spec),
                input_file_type=InputFileType.JsonSchema,
                output_model_type=DataModelType.PydanticV2BaseModel,
                target_python_version=PythonVersion.PY_310,
                class_name=_ROOT_CLASS,
                disable_timestamp=True,
                use_annotated=True,
                field_constraints=True,
                enum_field_as_literal=LiteralType.All,
                use_schema_description=True,
                use_field_description=True,
                use_standard_collections=True,
                use_union_operator=True,
                use_double_quotes=True,
                naming_strategy=NamingStrategy.ParentPrefixed,
                formatters=[],
            )
    except Exception as error:  # datamodel-code-generator raises many types
        raise SchemaError(
            [Problem(document.file, 1, 1, "", f"cannot generate the models: {error}")]
        ) from None
    if not isinstance(output, str):
        raise SchemaError(
            [Problem(document.file, 1, 1, "", "datamodel-code-generator produced no module")]
        )
    return _parse_output(output, spec, document)


def _parse_output(output: str, spec: StreamSpec, document: Document) -> ModelsModule:
    output = output.replace("\r\n", "\n").replace("\r", "\n")
    tree = ast.parse(output)
    lines = [line + "\n" for line in output.split("\n")]
    keep: list[str] = []
    classes: dict[str, ModelClass] = {}
    imports: dict[str, str] = {}
    used = _names_used(
        node
        for node in tree.body
        if not isinstance(node, ast.ImportFrom)
        and not (isinstance(node, ast.ClassDef) and node.name == _ROOT_CLASS)
    )
    for node in tree.body:
        start = node.lineno - 1
        if isinstance(node, ast.ClassDef):
            start -= len(node.decorator_list)
            if node.name == _ROOT_CLASS:
                continue
            classes[node.name] = ModelClass(node.name, _root_type(node))
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            # datamodel-code-generator imports more than its classes use (Any, for one):
            # the module keeps the names it uses, so no tool has to remove them.
            needed = [
                alias
                for alias in node.names
                if node.module == "__future__" or (alias.asname or alias.name) in used
            ]
            for alias in needed:
                imports[alias.asname or alias.name] = node.module
            if needed:
                keep.append(ast.unparse(ast.ImportFrom(node.module, needed, node.level)) + "\n")
            continue
        end = node.end_lineno if node.end_lineno is not None else node.lineno
        keep.append("".join(lines[start:end]))
    problems = list(_check_names(spec, document, classes))
    if problems:
        raise SchemaError(problems)
    return ModelsModule(body="\n\n".join(keep) + "\n", classes=classes, imports=imports)


def _names_used(nodes: Iterable[ast.stmt]) -> set[str]:
    """Every bare name the statements read (``Field`` of ``Field(ge=0)``, ``t`` of ``t.X``)."""
    return {found.id for node in nodes for found in ast.walk(node) if isinstance(found, ast.Name)}


def _root_type(node: ast.ClassDef) -> str | None:
    for base in node.bases:
        if (
            isinstance(base, ast.Subscript)
            and isinstance(base.value, ast.Name)
            and base.value.id == "RootModel"
        ):
            return ast.unparse(base.slice)
    return None


def _check_names(
    spec: StreamSpec, document: Document, classes: dict[str, ModelClass]
) -> Iterator[Problem]:
    expected: list[tuple[str, DocPath]] = [(m.name, ("models", m.name)) for m in spec.models]
    expected += [(t.payload_class, (*t.path, "payload")) for t in spec.topics if t.defines_class]
    for name, path in expected:
        if name not in classes:
            yield document.problem(
                path,
                f"class name {name!r} is taken by a nested object's generated class; "
                "rename the model or set a different title",
            )
