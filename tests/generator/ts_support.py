"""Helpers of the TypeScript output tests: the locked toolchain, tsc, and inspect.js."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from wstream_gen.typescript import Toolchain, ToolchainError, find_toolchain

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "typescript"
NODE_MODULES = ROOT / "ts" / "node_modules"
TSC = NODE_MODULES / "typescript" / "bin" / "tsc"
#: ``file(line,col): error TSnnnn: message`` as ``tsc --pretty false`` prints it.
DIAGNOSTIC = re.compile(
    r"^(?P<file>[^\s(][^(]*)\((?P<line>\d+),(?P<col>\d+)\): error (?P<code>TS\d+):"
)


def toolchain() -> Toolchain:
    """The locked toolchain; skips the test without it (fails in CI: `make setup-test` has it)."""
    try:
        found = find_toolchain(ROOT)
    except ToolchainError as error:
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"TypeScript toolchain missing in CI: {error}")
        pytest.skip(f"TypeScript toolchain missing ({error})")
    if not TSC.is_file():
        pytest.skip("ts/node_modules has no typescript; run `make setup-ts`")
    return found


def project(directory: Path) -> Path:
    """Make ``directory`` a TypeScript project: the test tsconfig and ts/node_modules linked in.

    Args:
        directory: Where the packages and usage files are (or will be) copied.

    Returns:
        The directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "tsconfig.json", directory / "tsconfig.json")
    (directory / "node_modules").symlink_to(NODE_MODULES, target_is_directory=True)
    return directory


def write_package(files: dict[str, str], directory: Path) -> Path:
    """Write a generated package's files into ``directory``.

    Args:
        files: File text by name.
        directory: The package directory (created).

    Returns:
        The directory.
    """
    directory.mkdir(parents=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    return directory


def run_tsc(directory: Path) -> tuple[int, list[tuple[str, int, str]], str]:
    """Type-check a project made by :func:`project` with one tsc run.

    Args:
        directory: The project.

    Returns:
        The exit status, the errors as ``(file, line, code)`` and tsc's whole output.
    """
    result = subprocess.run(
        ["node", str(TSC), "-p", str(directory / "tsconfig.json"), "--pretty", "false"],
        capture_output=True,
        text=True,
        check=False,
        cwd=directory,
        timeout=300,
    )
    errors = [
        (match["file"], int(match["line"]), match["code"])
        for line in result.stdout.splitlines()
        if (match := DIAGNOSTIC.match(line))
    ]
    return result.returncode, errors, result.stdout + result.stderr


def inspect(directories: list[Path]) -> dict[str, Any]:
    """What inspect.js reports of generated packages (statement kinds, imports, topic names).

    Args:
        directories: Package directories.

    Returns:
        The report by directory (as given).
    """
    result = subprocess.run(
        ["node", str(FIXTURES / "inspect.js"), str(NODE_MODULES / "typescript"),
         *map(str, directories)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    report: dict[str, Any] = json.loads(result.stdout)
    return report


#: The top-level statements of each template file (models.ts: only type declarations).
TEMPLATE_SHAPES = {
    "client.ts": ["ImportDeclaration"] * 3 + ["InterfaceDeclaration", "FunctionDeclaration"] * 2,
    "workflow.ts": ["ImportDeclaration"] * 3 + ["InterfaceDeclaration", "FunctionDeclaration"] * 2,
    "sse.ts": ["ImportDeclaration"] * 2 + ["FirstStatement"] * 2 + ["TypeAliasDeclaration"]
    + ["InterfaceDeclaration"] * 2 + ["FunctionDeclaration"] * 2,
    "index.ts": ["ExportDeclaration"] * 2,
    "topics.ts": ["FirstStatement", "TypeAliasDeclaration", "FirstStatement",
                  "InterfaceDeclaration", "FunctionDeclaration", "FunctionDeclaration"],
}  # fmt: skip


def assert_inert(report: dict[str, Any], type_count: int, topic_names: list[str]) -> None:
    """Assert a package declares what the templates declare and nothing else.

    Args:
        report: inspect.js's report of the package.
        type_count: How many types models.ts must declare.
        topic_names: The wire names, in schema order.
    """
    files = report["files"]
    assert set(files) == {*TEMPLATE_SHAPES, "models.ts"}
    for name, shape in TEMPLATE_SHAPES.items():
        kinds = files[name]
        if name == "topics.ts" and kinds[:1] == ["ImportDeclaration"]:
            kinds = kinds[1:]  # imports the payload types when a topic has one
        assert kinds == shape, name
    models = files["models.ts"]
    assert len(models) == type_count
    assert set(models) <= {"InterfaceDeclaration", "TypeAliasDeclaration", "ExportDeclaration"}
    assert report["topicNames"] == topic_names
