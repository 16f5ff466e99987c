"""Compiles the page's script (page.ts) and the generated browser helper it uses to ES modules."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TSC = ROOT / "ts" / "node_modules" / ".bin" / "tsc"
PAGE_SCRIPT = Path(__file__).with_name("page.ts")
#: Where `python demo/sse/app.py` puts the compiled modules (ignored by git, like demo/_build).
DEFAULT_OUT = ROOT / "demo" / "_build" / "sse-js"
#: The page's module under ``out`` (the compile keeps the repository layout).
PAGE_MODULE = "demo/sse/page.js"


def build_browser_js(out: Path = DEFAULT_OUT) -> Path:
    """Compile ``page.ts`` with generated/ts/orders/sse.ts (and its imports) into ``out``.

    The generated imports already name ``.js`` files, so the browser resolves the compiled
    modules as they are. Returns ``out``; the page's module is ``out / PAGE_MODULE``.

    Raises:
        RuntimeError: tsc is not installed (`make setup-ts`) or the compile failed.
    """
    if not TSC.exists():
        raise RuntimeError(f"{TSC} is missing: run `make setup-ts` (the Node.js toolchain)")
    # Compiled in place: these modules import each other and the DOM, no npm packages.
    command = [
        str(TSC),
        *("--target", "es2020", "--module", "es2020", "--moduleResolution", "bundler"),
        *("--lib", "es2020,dom,dom.iterable", "--strict", "--noEmitOnError"),
        *("--rootDir", str(ROOT), "--outDir", str(out)),
        str(PAGE_SCRIPT),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"tsc could not compile {PAGE_SCRIPT}:\n{done.stdout}{done.stderr}")
    return out
