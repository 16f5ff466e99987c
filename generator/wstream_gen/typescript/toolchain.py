"""Find Node.js and the locked json-schema-to-typescript package the TypeScript output needs."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

#: The npm package that writes the TypeScript types.
JSON2TS_PACKAGE = "json-schema-to-typescript"
#: Environment variable naming the json-schema-to-typescript package (or a file inside it).
JSON2TS_ENV = "WSTREAM_JSON2TS"
_HOW_TO_INSTALL = (
    "run `make setup-ts` in the wstream repository (npm ci in ts/), or `npm install "
    f"{JSON2TS_PACKAGE}@16.0.0` in your project, or set {JSON2TS_ENV} to the package directory"
)


class ToolchainError(Exception):
    """Node.js or json-schema-to-typescript is missing; the message says how to install it."""


@dataclass(frozen=True)
class Toolchain:
    """What the TypeScript generation runs.

    Attributes:
        node: The ``node`` executable.
        json2ts: The json-schema-to-typescript package directory.
        json2ts_version: Its version (named in the header of ``models.ts``).
    """

    node: str
    json2ts: Path
    json2ts_version: str


def find_toolchain(cwd: Path | None = None) -> Toolchain:
    """Locate ``node`` and json-schema-to-typescript.

    The package is taken from ``$WSTREAM_JSON2TS`` when set; otherwise from
    ``ts/node_modules`` or ``node_modules`` in the working directory or one of its parents,
    then from the repository this generator is installed from.

    Args:
        cwd: Where to start looking (default: the working directory).

    Returns:
        The toolchain.

    Raises:
        ToolchainError: Node.js or the package is missing.
    """
    node = shutil.which("node")
    if node is None:
        raise ToolchainError(
            "--lang typescript needs Node.js 20 or newer (`node` is not on PATH); install it, "
            f"then {_HOW_TO_INSTALL}"
        )
    package = _find_package(Path.cwd() if cwd is None else cwd)
    version = _package_version(package)
    if version is None:
        raise ToolchainError(f"{package} is not the {JSON2TS_PACKAGE} package; {_HOW_TO_INSTALL}")
    return Toolchain(node, package, version)


def _find_package(cwd: Path) -> Path:
    given = os.environ.get(JSON2TS_ENV)
    if given:
        # Any path inside the package will do (node_modules/.bin/json2ts links into it).
        probe = Path(given).resolve()
        for candidate in (probe, *probe.parents):
            if _package_version(candidate) is not None:
                return candidate
        raise ToolchainError(f"{JSON2TS_ENV}={given} is not inside the {JSON2TS_PACKAGE} package")
    here = cwd.resolve()
    repo = Path(__file__).resolve().parents[3]
    for base in (*(d for p in (here, *here.parents) for d in (p / "ts", p)), repo / "ts"):
        candidate = base / "node_modules" / JSON2TS_PACKAGE
        if (candidate / "package.json").is_file():
            return candidate
    raise ToolchainError(f"--lang typescript needs {JSON2TS_PACKAGE}: {_HOW_TO_INSTALL}")


def _package_version(directory: Path) -> str | None:
    try:
        data = json.loads((directory / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("name") != JSON2TS_PACKAGE:
        return None
    version = data.get("version")
    return version if isinstance(version, str) else None
