"""The README's first command: `make demo` generates the orders package and runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_prints_every_typed_event() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    generate = subprocess.run(
        [Path(sys.executable).with_name("wstream-gen"), "schema/examples/orders.yaml",
         "--out", "demo/_build"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert generate.returncode == 0, generate.stderr
    demo = subprocess.run(
        [sys.executable, "demo/run_demo.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    lines = [line for line in demo.stdout.splitlines() if line.startswith("[")]
    assert lines == [
        "[ 0] order A-1001 is created",
        "[ 1] charging card: 10%",
        "[ 2] charging card: 40%",
        "[ 3] charging card: 70%",
        "[ 4] charging card: 100%",
        "[ 5] order A-1001 is paid total=42.00 EUR",
        "[ 6] order A-1001 is shipped",
    ]
