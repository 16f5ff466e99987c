"""Golden tests: generated/ for the examples, and small unit goldens under golden/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.generator.lint import unused_imports
from wstream_gen.loader import load
from wstream_gen.models import generate_models
from wstream_gen.pipeline import generate_package
from wstream_gen.render import render_package
from wstream_gen.spec import build_spec

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = {"orders": "schema/examples/orders.yaml", "agent": "schema/examples/agent.yaml"}
UPDATE = os.environ.get("WSTREAM_UPDATE_GOLDEN") == "1"


def _tree(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize("package", sorted(EXAMPLES))
def test_generated_examples_are_the_golden_record(
    package: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    name, files = generate_package(Path(EXAMPLES[package]), shown_as=EXAMPLES[package])
    assert name == package
    assert files == _tree(ROOT / "generated" / package)


@pytest.mark.parametrize("case", sorted(p.name for p in GOLDEN.iterdir() if p.is_dir()))
def test_unit_golden(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = GOLDEN / case
    monkeypatch.chdir(directory)
    name, files = generate_package(Path("schema.yaml"))
    expected_dir = directory / "expected" / name
    if UPDATE:
        for file, text in files.items():
            (expected_dir / file).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / file).write_text(text, encoding="utf-8")
    assert files == _tree(expected_dir)


def test_generation_is_deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    first = generate_package(Path(EXAMPLES["agent"]))
    second = generate_package(Path(EXAMPLES["agent"]))
    assert first == second
    assert all("20" not in line for line in first[1]["models.py"].splitlines()[:3])


SCHEMAS = {
    **{name: ROOT / path for name, path in EXAMPLES.items()},
    **{p.name: p / "schema.yaml" for p in GOLDEN.iterdir() if p.is_dir()},
}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_templates_write_only_the_imports_each_module_uses(name: str, tmp_path: Path) -> None:
    # Before formatting: ruff only lays the code out, it never has to remove an import.
    document = load(SCHEMAS[name])
    spec = build_spec(document, None)
    for file, text in render_package(spec, generate_models(spec, document)).items():
        (tmp_path / file).write_text(text, encoding="utf-8")
    assert unused_imports(tmp_path) == ""
