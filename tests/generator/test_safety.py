"""Hostile schemas: the output compiles, imports as definitions only, type-checks (and TS)."""

from __future__ import annotations

import ast
import importlib
import itertools
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mypy import api

from tests.generator.lint import unused_imports
from tests.generator.ts_support import assert_inert, inspect, project, run_tsc, write_package
from tests.generator.ts_support import toolchain as ts_toolchain
from wstream_gen.format import format_python
from wstream_gen.loader import Document
from wstream_gen.models import generate_models
from wstream_gen.problems import SchemaError
from wstream_gen.render import render_package
from wstream_gen.spec import build_spec
from wstream_gen.typescript import Toolchain
from wstream_gen.typescript.pipeline import generate_typescript
from wstream_gen.typescript.types import type_definitions

ROOT = Path(__file__).resolve().parents[2]
CANARY = "WSTREAM_CANARY"
PAYLOADS = [
    '"""',
    "'''",
    "\\",
    '\\"""',
    "\"\"\"; __import__('pathlib').Path('" + CANARY + '\').touch(); """',
    "'; __import__('os').system('touch " + CANARY + "'); '",
    "\n#",
    "\r\n\x0b\x0c\x1c\x85\u2028\u2029",
    "\\N{BULLET} \\x00 \\u0041",
    "{__import__('os').getcwd()}",
    "class def import None True",
    "\U0001f600 ünï 日本 \u202e",
    "\x00\x01\x7f",
    "__class__.__bases__",
]
TEXT = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=30))
SOME_TEXT = st.lists(TEXT, min_size=1, max_size=3).map("".join)
#: Hostile text after a leading word: names derived from it are valid Python names, so the
#: schema is generated (and the hostile rest must stay inert) instead of being rejected.
WORD_THEN_TEXT = st.builds(
    lambda word, rest: word + rest, st.sampled_from(["order", "Status ", "t_", "Ünï "]), SOME_TEXT
)
#: True four times out of five: steers most examples past the schema checks, keeping some
#: that exercise the rejections.
RARELY_BARE = st.sampled_from([True, True, True, True, False])
#: Share of hostile examples that must get past the schema checks into generated code.
MIN_GENERATED_SHARE = 0.5
counter = itertools.count()

# Calls that may run while a generated module is imported (class bodies, defaults, decorators).
IMPORT_TIME_CALLS = {
    "Field", "dataclass", "deprecated", "timedelta", "model_rebuild", "TypeVar", "cast",
}  # fmt: skip
FORBIDDEN_NAMES = {"__import__", "eval", "exec", "compile", "open", "os", "system", "getattr"}


def _scalar(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["string", "integer", "enum", "pattern", "const"]))
    schema: dict[str, Any]
    if kind == "string":
        schema = {"type": "string", "default": draw(SOME_TEXT)}
    elif kind == "integer":
        schema = {"type": "integer", "minimum": draw(st.integers(-5, 5)), "default": 7}
    elif kind == "enum":
        schema = {"enum": draw(st.lists(SOME_TEXT, min_size=1, max_size=4, unique=True))}
    elif kind == "pattern":
        schema = {"type": "string", "pattern": re.escape(draw(SOME_TEXT))}
    else:
        schema = {"const": draw(SOME_TEXT)}
    if draw(st.booleans()):
        schema["description"] = draw(SOME_TEXT)
    return schema


@st.composite
def hostile_documents(draw: st.DrawFn) -> Document:
    topics: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 3))):
        # A bare hostile wire name often derives to no valid Python name and is rejected
        # (a path worth keeping); most topics get a name a topic could carry.
        wire = draw(WORD_THEN_TEXT if draw(RARELY_BARE) else SOME_TEXT.filter(bool))
        properties = {
            draw(SOME_TEXT.filter(bool)): _scalar(draw) for _ in range(draw(st.integers(0, 3)))
        }
        payload: dict[str, Any] = (
            {"type": "object", "properties": properties, "description": draw(SOME_TEXT)}
            if draw(st.booleans())
            else _scalar(draw)
        )
        if draw(st.booleans()):
            payload["title"] = draw(WORD_THEN_TEXT if draw(RARELY_BARE) else SOME_TEXT)
        topic: dict[str, Any] = {
            "payload": payload,
            "description": draw(SOME_TEXT),
            "deprecated": draw(st.booleans()),
        }
        if draw(RARELY_BARE):
            topic["python_name"] = f"topic{index}"
        topics[wire] = topic
    data = {"wstream": 1, "name": "hostile", "description": draw(SOME_TEXT), "topics": topics}
    return Document(file=draw(SOME_TEXT.filter(bool)) + ".yaml", data=data)


def _render(document: Document, package: str) -> dict[str, str] | None:
    try:
        spec = build_spec(document, package)
    except SchemaError:
        return None  # rejected with located problems: never generated
    return render_package(spec, generate_models(spec, document))


def _format(files: dict[str, str]) -> dict[str, str]:
    return {
        name: format_python(text, name) if name.endswith(".py") else text
        for name, text in files.items()
    }


def _check_definitions_only(source: str, name: str) -> None:
    tree = ast.parse(source, name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            assert node.id not in FORBIDDEN_NAMES, (name, node.id)
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Only the decorators and defaults run at import time; the body does not.
            pending.extend(node.decorator_list)
            pending.extend(node.args.defaults)
            pending.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            assert called in IMPORT_TIME_CALLS, (name, ast.unparse(node))
        pending.extend(ast.iter_child_nodes(node))


def _write(files: dict[str, str], directory: Path) -> None:
    directory.mkdir(parents=True)
    for file, text in files.items():
        (directory / file).write_text(text, encoding="utf-8")


def _check_generated(document: Document, files: dict[str, str], out: Path, package: str) -> None:
    """Compile, inspect and import one generated package; it must do nothing but define."""
    for name, text in files.items():
        if name.endswith(".py"):
            compile(text, name, "exec")
            _check_definitions_only(text, name)
    _write(files, out / package)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.chdir(out)
        monkeypatch.syspath_prepend(str(out))
        module = importlib.import_module(package)
        try:
            assert not (out / CANARY).exists()
            wire_names = list(document.data["topics"])
            assert list(module.TOPIC_NAMES) == wire_names
            description = document.data["description"]
            if description.strip():  # the docstring carries the description's text, unchanged
                expected = [line.strip() for line in description.strip().split("\n")]
                doc = module.__doc__ or ""
                if len(expected) > 1:  # closing quotes of a multi-line docstring: own line
                    doc = doc.removesuffix("\n")
                assert [line.strip() for line in doc.split("\n")] == expected
        finally:
            for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
                del sys.modules[name]


def test_hostile_schema_output_is_inert_and_type_checks(tmp_path: Path) -> None:
    outcomes: Counter[str] = Counter()
    generated: list[Path] = []

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(document=hostile_documents())
    def check(document: Document) -> None:
        package = f"hostile_{next(counter)}"
        raw = _render(document, package)
        if raw is None:
            outcomes["rejected with located problems"] += 1
            return
        _write(raw, tmp_path / "raw" / package)
        out = tmp_path / f"out_{package}"
        _check_generated(document, _format(raw), out, package)
        outcomes["generated, imported"] += 1
        generated.append(out / package)

    check()
    # A property that holds because every example was rejected proves nothing.
    total = sum(outcomes.values())
    assert outcomes["generated, imported"] >= MIN_GENERATED_SHARE * total, outcomes
    # Every package that imported also passes mypy --strict (one run over all of them).
    stdout, stderr, status = api.run(
        ["--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary",
         *map(str, generated)]
    )  # fmt: skip
    assert (stdout, stderr, status) == ("", "", 0)
    # And before formatting, no module imported a name it does not use.
    assert unused_imports(tmp_path / "raw") == ""


HOSTILE_FOR_MYPY = [
    {
        "wstream": 1,
        "name": "hostile",
        "description": PAYLOADS[4],
        "topics": {
            PAYLOADS[i]: {
                "python_name": f"topic{i}",
                "description": PAYLOADS[(i + 1) % len(PAYLOADS)],
                "deprecated": i % 2 == 0,
                "payload": {
                    "type": "object",
                    "description": PAYLOADS[(i + 2) % len(PAYLOADS)],
                    "properties": {
                        PAYLOADS[(i + 3) % len(PAYLOADS)] or "x": {
                            "enum": [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]],
                            "description": PAYLOADS[5],
                        },
                        "default": {"type": "string", "default": PAYLOADS[4]},
                        "pattern": {"type": "string", "pattern": re.escape(PAYLOADS[3])},
                    },
                },
            }
            for i in range(len(PAYLOADS))
        },
    },
]


@pytest.mark.parametrize("data", HOSTILE_FOR_MYPY)
def test_hostile_output_passes_mypy_strict(data: dict[str, Any], tmp_path: Path) -> None:
    raw = _render(Document(file=PAYLOADS[7] + ".yaml", data=data), "hostile_mypy")
    assert raw is not None
    _write(raw, tmp_path / "raw")
    assert unused_imports(tmp_path / "raw") == ""
    files = _format(raw)
    _write(files, tmp_path / "hostile_mypy")
    stdout, stderr, status = api.run(
        ["--strict", "--cache-dir", str(ROOT / ".mypy_cache"), "--no-error-summary",
         str(tmp_path / "hostile_mypy")]
    )  # fmt: skip
    assert (stdout, stderr, status) == ("", "", 0)


def _typescript(document: Document, toolchain: Toolchain) -> dict[str, str] | None:
    try:
        return generate_typescript(document, package="hostile", toolchain=toolchain)[1]
    except SchemaError:
        return None  # rejected with located problems: never generated


def _check_typescript(packages: dict[Path, Document], project_dir: Path) -> None:
    """One tsc and one inspect.js run over every hostile TypeScript package."""
    status, errors, output = run_tsc(project_dir)
    assert (status, errors) == (0, []), output
    report = inspect(list(packages))
    for directory, document in packages.items():
        spec = build_spec(document, "hostile")
        found = report[str(directory)]
        # Only the templates' declarations, and every wire name reads back exactly.
        assert_inert(found, len(type_definitions(spec)), list(document.data["topics"]))
    assert not (project_dir / CANARY).exists()


def test_hostile_schema_typescript_output_is_inert_and_compiles(tmp_path: Path) -> None:
    toolchain = ts_toolchain()
    project_dir = project(tmp_path / "ts")
    packages: dict[Path, Document] = {}
    outcomes: Counter[str] = Counter()

    # Each example starts Node.js once (json-schema-to-typescript): fewer than for Python.
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(document=hostile_documents())
    def check(document: Document) -> None:
        files = _typescript(document, toolchain)
        if files is None:
            outcomes["rejected"] += 1
            return
        outcomes["generated"] += 1
        packages[write_package(files, project_dir / f"hostile_{next(counter)}")] = document

    check()
    fixed = Document(file=PAYLOADS[7] + ".yaml", data=HOSTILE_FOR_MYPY[0])
    files = _typescript(fixed, toolchain)
    assert files is not None
    packages[write_package(files, project_dir / "hostile_fixed")] = fixed
    # Fewer examples than for Python: a smaller share must get through for the run to count.
    assert outcomes["generated"] >= 5, outcomes
    _check_typescript(packages, project_dir)
