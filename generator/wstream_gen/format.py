"""Format generated Python with ruff, with fixed settings so output never depends on the host."""

from __future__ import annotations

import subprocess
import tempfile

from ruff.__main__ import find_ruff_bin

#: Line length of the generated code.
LINE_LENGTH = 100


def _ruff(arguments: list[str], source: str, filename: str) -> str:
    # An empty working directory: import sorting must not depend on where we run.
    with tempfile.TemporaryDirectory(prefix="wstream-gen-") as empty:
        return _ruff_in(empty, arguments, source, filename)


def _ruff_in(cwd: str, arguments: list[str], source: str, filename: str) -> str:
    result = subprocess.run(
        [find_ruff_bin(), *arguments, "--isolated", "--stdin-filename", filename, "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    if result.returncode != 0:
        raise RuntimeError(f"ruff failed on generated {filename}: {result.stderr.strip()}")
    return result.stdout


def format_python(source: str, filename: str) -> str:
    """Sort the imports of one generated module and format it; nothing else changes.

    The templates write exactly the imports each module uses (tests/generator check that
    unused-import lint finds nothing in their raw output), so ruff only lays code out.

    Args:
        source: The module's code.
        filename: Its file name (for ruff's messages).

    Returns:
        The formatted code.

    Raises:
        RuntimeError: ruff could not parse the code (a generator bug).
    """
    options = ["--line-length", str(LINE_LENGTH), "--target-version", "py310"]
    fixed = _ruff(
        ["check", "--fix", "--select", "I", "--exit-zero", "--quiet", *options],
        source,
        filename,
    )
    return _ruff(["format", "--quiet", *options], fixed, filename)
