"""Scenario 8: seconds for ``wstream-gen`` on a generated 200-topic schema."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_FIELDS = [
    "{type: string}",
    "{type: integer, minimum: 0}",
    "{type: number}",
    "{type: boolean}",
    "{type: string, enum: [queued, running, done, failed]}",
    "{type: array, items: {type: string}}",
    '{$ref: "#/models/Money"}',
    "{type: string, pattern: '^[a-z0-9-]+$'}",
]


def schema_text(topics: int) -> str:
    """A schema with ``topics`` topics: objects of 3-8 fields, some plain values."""
    lines = [
        "wstream: 1",
        "name: bench_big",
        "description: A large generated schema for the generator benchmark.",
        "models:",
        "  Money:",
        "    type: object",
        "    properties:",
        "      amount: {type: integer, minimum: 0}",
        '      currency: {type: string, pattern: "^[A-Z]{3}$"}',
        "    required: [amount, currency]",
        "topics:",
    ]
    for t in range(topics):
        lines.append(f"  area{t % 17}.topic{t}:")
        lines.append(f"    description: Generated topic number {t}.")
        lines.append(f"    python_name: topic_{t}")
        if t % 10 == 9:
            lines.append("    payload: {type: integer, minimum: 0, maximum: 100}")
            continue
        lines.append("    payload:")
        lines.append("      type: object")
        lines.append("      properties:")
        fields = 3 + t % 6
        for f in range(fields):
            lines.append(f"        field_{f}: {_FIELDS[(t + f) % len(_FIELDS)]}")
        lines.append("      required: [field_0, field_1]")
    return "\n".join(lines) + "\n"


def run(topics: int, timeout: float) -> dict[str, Any]:
    """Seconds for one ``wstream-gen SCHEMA --out DIR`` run (a fresh process, as users run it)."""
    command = shutil.which("wstream-gen")
    if command is None:
        return {"generator_seconds": "unavailable: wstream-gen is not installed"}
    with tempfile.TemporaryDirectory(prefix="wstream-bench-gen-") as tmp:
        schema = Path(tmp) / "bench_big.yaml"
        schema.write_text(schema_text(topics))
        out = Path(tmp) / "out"
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [command, str(schema), "--out", str(out)],
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=tmp,
            )
        except subprocess.TimeoutExpired:
            return {"generator_seconds": f"failed: timed out after {timeout:.0f}s"}
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            message = " ".join((done.stderr or done.stdout).split())[:200]
            return {"generator_seconds": f"unavailable: exit {done.returncode}: {message}"}
        files = sorted(p.name for p in out.rglob("*.py"))
        compiled = subprocess.run(
            [sys.executable, "-m", "py_compile", *map(str, out.rglob("*.py"))],
            capture_output=True,
            text=True,
        )
        if compiled.returncode != 0:
            return {
                "generator_seconds": f"failed: output does not compile: {compiled.stderr[:200]}"
            }
    return {"generator_seconds": seconds, "generator_topics": topics, "generator_files": len(files)}
