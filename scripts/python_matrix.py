"""Test wstream on the Python versions next to 3.11: 3.10, 3.12 and 3.13.

The full suite runs on 3.11 (``.venv``). This script gives each other supported version its
own environment (``.venv-py310``, ``.venv-py312``, ``.venv-py313``, synced from ``uv.lock``)
and runs there what can differ between interpreters: mypy on the runtime, the generator and
the generated packages with that ``--python-version``, and the matrix core of the tests
(``CORE`` below; the README says why the rest is version-independent).

    python scripts/python_matrix.py setup   # find the interpreters, sync their environments
    python scripts/python_matrix.py test    # mypy + pytest per version, a summary line each
    python scripts/python_matrix.py test --full-suite   # and the 3.11 suite alongside (make test)

Options after ``test`` that the script does not know go to pytest (e.g. ``-x``, ``--durations=20``).

Interpreters are the machine's own (pyenv's ``versions/X.Y.*``, or ``pythonX.Y`` on PATH, or
the path in ``WSTREAM_PYTHON_3_10`` etc.); nothing is downloaded (``UV_PYTHON_DOWNLOADS=never``)
and ``test`` never syncs. A missing interpreter is reported loudly; when the environment
variable ``CI`` is set it fails the run instead of being skipped.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The versions this script covers; 3.11 is the main environment's (``.venv``, full suite).
VERSIONS = ("3.10", "3.12", "3.13")
MAIN_VERSION = "3.11"
#: What mypy checks on each version (the generated packages are found when the script runs).
MYPY_PATHS = ("runtime/wstream", "generator/wstream_gen")
#: The matrix core: the runtime's tests (asyncio, cancellation, the sandbox, subprocess exits and
#: signals all differ between versions), the generator and typing tests (tomli, ast, mypy), the
#: generated package end to end, the README example, and the reliability tests whose outcome
#: hangs on asyncio: retry deadlines, cancellation, a workflow closing under a publisher.
CORE = (
    "tests/runtime",
    "tests/generator",
    "tests/typing",
    "tests/e2e/test_orders_e2e.py",
    "tests/docs/test_readme.py",
    "tests/reliability/test_lifecycle.py",
    "tests/reliability/test_workflow_close.py",
    "tests/reliability/test_cancellation.py",
)
#: Left to the 3.11 run, as version-independent: they measure the server (history cost at
#: scale, run budgets, a long log sealed run by run), drive Chromium, or format and filter
#: `wstream tail`'s output (its process exits, Ctrl-C and pipes stay: tail/test_terminal.py,
#: tail/test_units.py). The other reliability tests kill and restart servers and workers,
#: which exercises the server and temporalio's native core, the same on every version.
CORE_IGNORE = (
    "tests/runtime/test_scale.py",
    "tests/runtime/test_budgets.py",
    "tests/runtime/test_long_stream.py",
    "tests/runtime/sse/test_browser.py",
    "tests/runtime/tail/test_command.py",
)
#: A load test (continue-as-new every ~500 items): its asyncio paths run in the core anyway.
CORE_DESELECT = ("tests/reliability/test_lifecycle.py::test_continue_as_new_under_load",)
LOG_DIR = ROOT / ".cache" / "matrix"
LOG_TAIL_LINES = 80
FAILURE_LINES = 400


def in_ci() -> bool:
    """Whether this is CI's run: ``CI`` is set (and not 0/false), as tests/conftest.py reads it."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def env_dir(version: str) -> Path:
    """The environment of one extra version, e.g. ``.venv-py310`` (never ``.venv``)."""
    path = ROOT / f".venv-py{version.replace('.', '')}"
    assert path.name != ".venv", "the main environment belongs to 3.11"
    return path


def _version_of(python: str) -> str | None:
    """``X.Y.Z`` of an interpreter, or None when it does not run."""
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _release(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name))


def candidates(version: str) -> list[str]:
    """Where an interpreter of ``version`` may be, in the order they are tried."""
    found: list[str] = []
    explicit = os.environ.get(f"WSTREAM_PYTHON_{version.replace('.', '_')}")
    if explicit:
        found.append(explicit)
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    installs = sorted(
        (path for path in (pyenv_root / "versions").glob(f"{version}.*") if path.is_dir()),
        key=lambda path: _release(path.name),
        reverse=True,
    )
    found += [str(path / "bin" / f"python{version}") for path in installs]
    on_path = shutil.which(f"python{version}")
    if on_path:
        found.append(on_path)
    return found


@dataclass(frozen=True)
class Interpreter:
    """One Python of the matrix, found on this machine."""

    version: str
    full_version: str
    path: str


def find(version: str) -> Interpreter | None:
    """The first candidate that runs and is ``version``, or None."""
    for path in candidates(version):
        full = _version_of(path)
        if full is not None and full.rsplit(".", 1)[0] == version:
            return Interpreter(version, full, path)
    return None


def find_all(versions: Sequence[str]) -> tuple[list[Interpreter], list[str]]:
    """The interpreters found, and the versions missing (each reported loudly)."""
    found: list[Interpreter] = []
    missing: list[str] = []
    for version in versions:
        interpreter = find(version)
        if interpreter is None:
            missing.append(version)
            looked = ", ".join(candidates(version)) or "pyenv versions/ and PATH"
            print(
                f"\n!!! Python {version} is MISSING: the version matrix cannot test it "
                f"(looked for: {looked}; set WSTREAM_PYTHON_{version.replace('.', '_')} "
                f"to an interpreter's path, or `pyenv install {version}`).\n",
                file=sys.stderr,
            )
        else:
            found.append(interpreter)
    return found, missing


def uv_command() -> list[str]:
    """How to run uv: ``$UV`` (the Makefile's, or the one ``uv run`` sets), else ``uv``."""
    if os.environ.get("UV"):
        return shlex.split(os.environ["UV"])
    if shutil.which("uv"):
        return ["uv"]
    return [sys.executable, "-m", "uv"]


def setup(versions: Sequence[str]) -> int:
    """Sync ``.venv-pyXY`` for each version from the lock (this is where downloads happen)."""
    found, missing = find_all(versions)
    failed = False
    for interpreter in found:
        env = {
            **os.environ,
            "UV_PROJECT_ENVIRONMENT": str(env_dir(interpreter.version)),
            "UV_PYTHON_DOWNLOADS": "never",
        }
        env.pop("VIRTUAL_ENV", None)
        command = [*uv_command(), "sync", "--frozen", "--quiet"]
        command += ["--python", interpreter.path]
        done = subprocess.run(command, cwd=ROOT, env=env, check=False)
        status = "ready" if done.returncode == 0 else f"uv sync FAILED ({done.returncode})"
        failed = failed or done.returncode != 0
        print(
            f"matrix setup: Python {interpreter.full_version} ({interpreter.path}): "
            f"{env_dir(interpreter.version).name} {status}"
        )
    if failed or (missing and in_ci()):
        return 1
    return 0


@dataclass
class Result:
    """What one version's run came to."""

    version: str
    full_version: str
    ok: bool
    summary: str
    log: Path | None


def _pytest_summary(output: str) -> str:
    """Pytest's counts (``N passed, M failed``), or a note that there were none."""
    lines = [line.strip(" =") for line in output.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.search(r"\b(passed|failed|error|errors|skipped|no tests ran)\b", line):
            return re.sub(r" in [\d.]+s( \([\d:]+\))?$", "", line)
    return "no pytest summary (see the log)"


def _run_in(venv: Path, version: str, label: str, mypy: list[str], pytest: list[str]) -> Result:
    """Run ``mypy`` (if any) then ``pytest`` with ``venv`` first on PATH; log both."""
    started = time.monotonic()
    python = venv / "bin" / "python"
    full = _version_of(str(python))
    if full is None or full.rsplit(".", 1)[0] != version:
        return Result(
            version,
            full or version,
            False,
            f"{venv.name} is missing or not Python {version}: "
            + ("run `make setup-matrix`" if venv.name != ".venv" else "make setup builds it"),
            None,
        )
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"py{version.replace('.', '')}.log"
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    env["VIRTUAL_ENV"] = str(venv)
    env.pop("PYTHONHOME", None)
    typed_ok = True
    with log.open("w") as out:
        if mypy:
            out.write(f"$ {shlex.join(mypy)}\n")
            out.flush()
            done = subprocess.run(mypy, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
            typed_ok = done.returncode == 0
        out.write(f"\n$ {shlex.join(pytest)}\n")
        out.flush()
        tests_started = time.monotonic()
        tested = subprocess.run(pytest, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    ended = time.monotonic()
    summary = f"{label}: {_pytest_summary(log.read_text(errors='replace'))}"
    if mypy:
        summary = f"mypy {'ok' if typed_ok else 'FAILED'}, {summary}"
        summary += f" (mypy {tests_started - started:.0f}s, tests {ended - tests_started:.0f}s)"
    else:
        summary += f" ({ended - tests_started:.0f}s)"
    ok = typed_ok and tested.returncode == 0
    print(
        f"matrix: Python {full} {'passed' if ok else 'FAILED'} after {ended - started:.0f}s",
        flush=True,
    )
    return Result(version, full, ok, summary, log)


def run_version(version: str, extra_pytest_args: Sequence[str]) -> Result:
    """Mypy with this ``--python-version``, then the core tests, in this version's environment."""
    venv = env_dir(version)
    python = str(venv / "bin" / "python")
    # The Python packages only: generated/ts/ holds the TypeScript output.
    generated = sorted(
        str(path.parent.relative_to(ROOT)) for path in ROOT.glob("generated/*/__init__.py")
    )
    cache = f".mypy_cache/py{version.replace('.', '')}"
    mypy = [
        python,
        "-m",
        "mypy",
        "--strict",
        "--python-version",
        version,
        "--cache-dir",
        cache,
        *MYPY_PATHS,
        *generated,
    ]
    core = [path for path in CORE if (ROOT / path).exists()]
    pytest = [
        python,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *core,
        *(f"--ignore={path}" for path in CORE_IGNORE),
        *(f"--deselect={node}" for node in CORE_DESELECT),
        *extra_pytest_args,
    ]
    return _run_in(venv, version, "core", mypy, pytest)


def run_full_suite(extra_pytest_args: Sequence[str]) -> Result:
    """The whole suite on 3.11 in the main environment, as ``make pytest`` runs it."""
    venv = ROOT / ".venv"
    pytest = [str(venv / "bin" / "python"), "-m", "pytest", "-q", *extra_pytest_args]
    return _run_in(venv, MAIN_VERSION, "full suite", [], pytest)


def _failure_report(result: Result) -> str:
    """The failures and errors of a run's log (or its last lines), for the console."""
    assert result.log is not None
    lines = result.log.read_text(errors="replace").splitlines()
    first = next(
        (n for n, line in enumerate(lines) if re.match(r"^=+ (FAILURES|ERRORS) =+$", line)),
        max(0, len(lines) - LOG_TAIL_LINES),
    )
    shown = lines[first:]
    if len(shown) > FAILURE_LINES:
        cut = len(shown) - FAILURE_LINES
        shown = [
            *shown[: FAILURE_LINES // 2],
            f"[... {cut} lines: see the log ...]",
            *shown[-FAILURE_LINES // 2 :],
        ]
    title = f"----- Python {result.full_version}: {result.log.relative_to(ROOT)} -----"
    return "\n".join([title, *shown])


def test(
    versions: Sequence[str], jobs: int, full_suite: bool, extra_pytest_args: Sequence[str]
) -> int:
    """Run every version (``jobs`` at a time, next to the 3.11 suite), one summary line each."""
    started = time.monotonic()
    found, missing = find_all(versions)
    names = ", ".join(interpreter.version for interpreter in found) or "none"
    plan = f"the full suite on {MAIN_VERSION} and, next to it, " if full_suite else ""
    print(
        f"matrix: {plan}the core on Python {names}, {jobs} at a time; "
        f"logs in {LOG_DIR.relative_to(ROOT)}/",
        flush=True,
    )
    with ThreadPoolExecutor(max_workers=1) as main_pool:
        main = main_pool.submit(run_full_suite, extra_pytest_args) if full_suite else None
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(lambda i: run_version(i.version, extra_pytest_args), found))
        if main is not None:
            results.insert(0, main.result())
    for result in results:
        if not result.ok and result.log is not None:
            print("\n" + _failure_report(result))
    print()
    for result in results:
        verdict = "PASS" if result.ok else "FAIL"
        print(f"matrix: Python {result.full_version:<8} {verdict}  {result.summary}")
    for version in missing:
        verdict = "FAIL" if in_ci() else "SKIPPED"
        note = " (CI is set: a missing version fails the run)" if in_ci() else ""
        print(f"matrix: Python {version:<8} {verdict}  interpreter MISSING on this machine{note}")
    print(f"matrix: {time.monotonic() - started:.0f}s in all")
    failed = any(not result.ok for result in results) or (missing and in_ci())
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``setup`` or ``test``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("command", choices=("setup", "test"))
    parser.add_argument(
        "--versions",
        default=",".join(VERSIONS),
        help="comma-separated, e.g. 3.10,3.13 (default: %(default)s)",
    )
    parser.add_argument(
        "--full-suite",
        action="store_true",
        help=f"also run the whole suite on {MAIN_VERSION} (.venv), next to the matrix",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("MATRIX_JOBS", "2")),
        help="versions tested at once (default: $MATRIX_JOBS or 2)",
    )
    args, extra = parser.parse_known_args(argv)
    versions = [version.strip() for version in args.versions.split(",") if version.strip()]
    unknown = sorted(set(versions) - set(VERSIONS))
    if unknown:
        parser.error(f"not a matrix version: {', '.join(unknown)} (3.11 is `make pytest`)")
    if args.command == "setup":
        return setup(versions)
    return test(versions, args.jobs, args.full_suite, extra)


if __name__ == "__main__":
    sys.exit(main())
