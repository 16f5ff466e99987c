"""The format's own JSON Schema: valid draft 2020-12, shipped with the package, examples pass."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

import wstream_gen
from wstream_gen.loader import load
from wstream_gen.validate import check_format, format_schema

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "schema" / "examples").glob("*.yaml"))


def test_meta_schema_is_valid_and_is_the_packaged_one() -> None:
    on_disk = json.loads((ROOT / "schema" / "wstream.schema.json").read_text())
    Draft202012Validator.check_schema(on_disk)
    assert format_schema() == on_disk


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_follow_the_format(example: Path) -> None:
    document = load(example)
    assert check_format(document) == []
    assert example.read_text().startswith("# yaml-language-server: $schema=../wstream.schema.json")


def test_version_matches_the_distribution() -> None:
    assert wstream_gen.__version__ == importlib.metadata.version("wstream-gen")
    # Generated code is written for the runtime of the same release.
    assert importlib.metadata.version("wstream") == wstream_gen.__version__
