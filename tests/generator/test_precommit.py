"""The pre-commit hook: its definition, and its entry run as pre-commit runs it in a git repo."""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from wstream_gen import cli

ROOT = Path(__file__).resolve().parents[2]
ORDERS = ROOT / "schema" / "examples" / "orders.yaml"
GIT = shutil.which("git")


def hook() -> dict[str, Any]:
    hooks = YAML(typ="safe", pure=True).load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert isinstance(hooks, list) and len(hooks) == 1
    found: dict[str, Any] = hooks[0]
    return found


def test_hook_definition() -> None:
    definition = hook()
    assert definition["id"] == "wstream-gen-check"
    assert definition["language"] == "python"  # pre-commit installs this repository
    assert definition["pass_filenames"] is False  # schemas come from config or args
    assert shlex.split(definition["entry"]) == ["wstream-gen", "--check"]
    # `pip install .` installs the workspace root, which ships no code: the generator comes
    # from its own directory, with the runtime it pins.
    assert definition["additional_dependencies"] == ["./runtime", "./generator"]
    assert 'wstream-gen = "wstream_gen.cli:main"' in (ROOT / "generator/pyproject.toml").read_text()
    files = re.compile(definition["files"])
    for path in ["schema/orders.yaml", "a.yml", "generated/orders/models.py", "pyproject.toml",
                 "sub/pyproject.toml"]:  # fmt: skip
        assert files.search(path), path
    for path in ["README.md", "notes.txt", "mypyproject.toml"]:
        assert not files.search(path), path


def git(repo: Path, *args: str) -> str:
    assert GIT is not None
    done = subprocess.run([GIT, *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def hook_selected(repo: Path) -> bool:
    """Whether pre-commit would run the hook: a staged file matches ``files`` (re.search)."""
    staged = git(repo, "diff", "--cached", "--name-only").splitlines()
    return any(re.search(hook()["files"], path) for path in staged)


def run_hook(repo: Path, args: list[str] | None = None) -> subprocess.CompletedProcess[str] | None:
    """Run the hook the way pre-commit does: only when a staged file matches ``files``."""
    definition = hook()
    if not hook_selected(repo):
        return None  # pre-commit reports "(no files to check) Skipped"
    command = shlex.split(definition["entry"]) + (args or definition.get("args", []))
    # pre-commit puts the hook's environment (where wstream is installed) first on PATH.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with a schema, [tool.wstream] options and freshly generated code."""
    root = tmp_path_factory.mktemp("project")
    (root / "schema").mkdir()
    shutil.copy(ORDERS, root / "schema" / "orders.yaml")
    (root / "pyproject.toml").write_text(
        '[tool.wstream]\nschemas = ["schema/orders.yaml"]\nout = "generated"\n'
    )
    (root / "README.md").write_text("# app\n")
    wstream_gen = Path(sys.executable).with_name("wstream-gen")
    subprocess.run([wstream_gen], cwd=root, check=True, capture_output=True)
    return root


@pytest.fixture
def repo(project: Path, tmp_path: Path) -> Path:
    if GIT is None:
        pytest.fail("git is needed to test the pre-commit hook")
    shutil.copytree(project, tmp_path / "repo")
    git(tmp_path / "repo", "init", "-q")
    return tmp_path / "repo"


def test_hook_passes_when_generated_code_is_current(repo: Path) -> None:
    git(repo, "add", ".")
    result = run_hook(repo)
    assert result is not None
    assert result.returncode == 0, result.stderr
    assert result.stdout == "wstream-gen --check: 6 files up to date\n"


def test_hook_fails_on_a_drifted_generated_file_and_a_changed_schema(repo: Path) -> None:
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    models = repo / "generated" / "orders" / "models.py"
    models.write_text(models.read_text() + "# hand edit\n")
    git(repo, "add", "generated/orders/models.py")
    result = run_hook(repo)
    assert result is not None
    assert result.returncode == 1
    assert "  generated/orders/models.py (would change)" in result.stderr.splitlines()

    git(repo, "checkout", "--", "generated/orders/models.py")
    schema = repo / "schema" / "orders.yaml"
    schema.write_text(schema.read_text() + "  shipped:\n    payload: {type: string}\n")
    git(repo, "add", "schema/orders.yaml")
    result = run_hook(repo)
    assert result is not None
    assert result.returncode == 1
    assert result.stderr.splitlines()[1:] == [
        "  generated/orders/__init__.py (would change)",
        "  generated/orders/client.py (would change)",
        "  generated/orders/models.py (would change)",
        "  generated/orders/stream.py (would change)",
        "  generated/orders/topics.py (would change)",
        "run wstream-gen without --check to update them",
    ]


def check_fails(repo: Path) -> bool:
    """Whether the hook's command, run in ``repo``, reports a problem (any non-zero exit).

    The console script's own entry point, called in this process: a fresh process per file
    would spend a second each importing the generator.
    """
    output = io.StringIO()
    with (
        pytest.MonkeyPatch.context() as patch,
        contextlib.redirect_stdout(output),
        contextlib.redirect_stderr(output),
    ):
        patch.chdir(repo)
        return cli.main(["--check"]) != 0


def test_hook_runs_for_every_file_whose_change_the_check_reports(repo: Path) -> None:
    # Which files matter is what the tool itself says: each file of the project is edited
    # by hand in turn, and whenever `wstream-gen --check` then fails, a commit of that file
    # alone must run the hook.
    git(repo, "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init")
    files = git(repo, "ls-files").splitlines()
    assert len(files) >= 8  # schema, options, README and what the generator wrote
    reported, missed = [], []
    for path in files:
        target = repo / path
        original = target.read_bytes()
        target.write_bytes(original + b"\nzz_hand_edit = 1\n")
        if check_fails(repo):
            reported.append(path)
            git(repo, "add", path)
            if not hook_selected(repo):
                missed.append(path)
            git(repo, "reset", "-q", "--", path)
        target.write_bytes(original)
    assert "README.md" not in reported  # the check does not read it
    assert {"pyproject.toml", "schema/orders.yaml", "generated/orders/models.py"} <= set(reported)
    assert missed == [], f"edited alone, these fail the check but skip the hook: {missed}"


def test_hook_is_skipped_when_no_relevant_file_is_staged(repo: Path) -> None:
    (repo / "README.md").write_text("# app, edited\n")
    git(repo, "add", "README.md")
    assert run_hook(repo) is None


def test_hook_args_instead_of_config(repo: Path) -> None:
    (repo / "pyproject.toml").unlink()
    git(repo, "add", ".")
    result = run_hook(repo, ["--out", "generated", "schema/orders.yaml"])
    assert result is not None
    assert result.returncode == 0, result.stderr
    result = run_hook(repo, ["--out", "elsewhere", "schema/orders.yaml"])
    assert result is not None
    assert result.returncode == 1
