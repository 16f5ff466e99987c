"""Lint of raw template output: the generator must write no import its code does not use."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ruff.__main__ import find_ruff_bin


def unused_imports(directory: Path) -> str:
    """Unused or repeated imports in the Python files under ``directory`` (ruff's report)."""
    done = subprocess.run(
        [find_ruff_bin(), "check", "--isolated", "--no-cache", "--select", "F401,F811",
         "--output-format", "concise", str(directory)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "" if done.returncode == 0 else done.stdout + done.stderr
