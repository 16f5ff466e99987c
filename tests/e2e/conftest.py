"""End-to-end fixtures: generate the orders package fresh, then load the app that uses it."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from wstream_gen.cli import main

ROOT = Path(__file__).resolve().parents[2]

#: The package name the end-to-end tests generate (distinct from the committed `orders`).
PACKAGE = "e2e_orders"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """Run wstream-gen into a temporary directory and import the workflow app built on it."""
    out = tmp_path_factory.mktemp("generated")
    status = main(
        [str(ROOT / "schema/examples/orders.yaml"), "--out", str(out), "--package", PACKAGE]
    )
    assert status == 0
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("tests.e2e.orders_app")
    finally:
        sys.path.remove(str(out))
