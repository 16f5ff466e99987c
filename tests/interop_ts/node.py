"""Compiles the TypeScript test programs (with the generated TS packages) and runs them in Node."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLCHAIN = ROOT / "ts" / "node_modules"
TSC = TOOLCHAIN / ".bin" / "tsc"
PROGRAMS = Path(__file__).resolve().parent / "ts"
#: The sources tsc sees (the programs import generated/ts/orders by relative path), copied
#: with their repository layout so those imports hold.
SOURCES = (PROGRAMS, ROOT / "generated" / "ts")
#: Any one Node step (compile, a round trip) is bounded, so a hang fails the test.
STEP_TIMEOUT = 120.0


def missing_toolchain() -> str | None:
    """Why the programs cannot run here (no ``node``, no ``make setup-ts``), or ``None``."""
    if shutil.which("node") is None:
        return "`node` (Node.js 20 or newer) is not on PATH"
    if not TSC.exists():
        return f"{TSC.relative_to(ROOT)} is missing: run `make setup-ts`"
    return None


def compile_programs(build: Path) -> Path:
    """Compile the programs into ``build``; return the folder their ``.js`` files land in.

    tsc resolves a package from the importing file's folder upwards, so the sources are copied
    under ``build`` next to a ``node_modules`` link to the locked toolchain instead of being
    compiled in place (the repository root has no ``node_modules``).
    """
    for source in SOURCES:
        target = build / source.relative_to(ROOT)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules", "*.js"))
    (build / "node_modules").symlink_to(TOOLCHAIN, target_is_directory=True)
    config = build / PROGRAMS.relative_to(ROOT) / "tsconfig.json"
    done = subprocess.run(
        [str(TSC), "-p", str(config)],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"tsc failed on the interop programs:\n{done.stdout}{done.stderr}")
    return build / "out" / PROGRAMS.relative_to(ROOT)


@dataclass(frozen=True)
class NodePrograms:
    """The compiled programs and the dev server they connect to."""

    folder: Path
    address: str
    namespace: str

    def command(self, program: str, *args: str) -> list[str]:
        """The command line running ``program`` (a file name without ``.js``)."""
        return ["node", str(self.folder / f"{program}.js"), self.address, self.namespace, *args]

    async def run(self, program: str, *args: str, stdin: Any = None) -> list[Any]:
        """Run a program to its end; return its stdout as JSON lines (fails on exit != 0).

        Args:
            program: The program's file name without ``.js``.
            *args: Its arguments after the server address and namespace.
            stdin: A JSON value written to its standard input, if any.
        """
        process = await asyncio.create_subprocess_exec(
            *self.command(program, *args),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        data = json.dumps(stdin).encode() if stdin is not None else b""
        try:
            out, err = await asyncio.wait_for(process.communicate(data), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()
            raise
        if process.returncode != 0:
            raise AssertionError(
                f"{program} exited with {process.returncode}:\n{err.decode(errors='replace')}"
            )
        return [json.loads(line) for line in out.decode().split("\n") if line.strip()]

    @asynccontextmanager
    async def serving(self, program: str, *args: str, log: Path) -> AsyncIterator[Any]:
        """Run a long-lived program (a worker) while the block runs; yield its first JSON line.

        The program prints one JSON line once it is ready. Its later output is drained, so a
        chatty program never blocks on a full pipe, and its stderr goes to ``log``. On exit it
        gets SIGTERM (the TS worker shuts down on it) and, if it lingers, SIGKILL.
        """
        with log.open("wb") as errors:
            process = await asyncio.create_subprocess_exec(
                *self.command(program, *args),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=errors,
            )
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), STEP_TIMEOUT)
            if not line:
                await process.wait()
                raise AssertionError(
                    f"{program} exited with {process.returncode} before it was ready:\n"
                    + log.read_text(errors="replace")
                )
            drain = asyncio.create_task(process.stdout.read())
            yield json.loads(line)
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except asyncio.TimeoutError:
                    process.kill()
                    await process.wait()
        await drain
