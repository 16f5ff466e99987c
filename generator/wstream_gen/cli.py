"""The ``wstream-gen`` command: exit 0 when done, 1 when ``--check`` finds drift, 2 on bad input."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from wstream_gen import __version__
from wstream_gen.config import LANGUAGES, ConfigError, read_config
from wstream_gen.paths import shown_path
from wstream_gen.pipeline import generate_package
from wstream_gen.problems import Problem, SchemaError
from wstream_gen.typescript.toolchain import ToolchainError
from wstream_gen.writer import changed_files, write_all

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_INVALID = 2

__all__ = ["EXIT_DRIFT", "EXIT_INVALID", "EXIT_OK", "main", "shown_path"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wstream-gen",
        description="Generate a typed Workflow Streams package from a topics schema (YAML).",
        epilog="Options may also be set in [tool.wstream] of ./pyproject.toml "
        "(schemas, out, package, lang). Other commands: `wstream-gen diff OLD NEW` (breaking "
        "changes between two schema versions) and `wstream-gen export --asyncapi SCHEMA` "
        "(an AsyncAPI 3.0 document); to generate from a schema file named `diff` or "
        "`export`, write `./diff`.",
    )
    parser.add_argument("schemas", nargs="*", metavar="SCHEMA", help="schema file(s)")
    parser.add_argument("--out", metavar="DIR", help="output directory (default: .)")
    parser.add_argument("--package", metavar="NAME", help="package name (one schema only)")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="output language (default: python); typescript needs Node.js and "
        "json-schema-to-typescript (`make setup-ts`)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 listing the files that would change",
    )
    parser.add_argument("--version", action="version", version=f"wstream-gen {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit status (the console script exits with it).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments and arguments[0] in ("diff", "export"):
        # Imported on demand: plain generation never loads the subcommands.
        from wstream_gen.commands import SUBCOMMANDS

        return SUBCOMMANDS[arguments[0]](arguments[1:])
    args = _parser().parse_args(arguments)
    try:
        config = read_config(Path("pyproject.toml"))
    except ConfigError as error:
        print(f"wstream-gen: {error}", file=sys.stderr)
        return EXIT_INVALID
    schemas: list[str] = list(args.schemas) or list(config.schemas)
    out = Path(args.out or config.out or ".")
    package = args.package or config.package
    lang: str = args.lang or config.lang or LANGUAGES[0]
    if not schemas:
        print("wstream-gen: no schema given (and no schemas in [tool.wstream])", file=sys.stderr)
        return EXIT_INVALID
    if package is not None and len(schemas) > 1:
        print("wstream-gen: --package needs exactly one schema", file=sys.stderr)
        return EXIT_INVALID
    try:
        generate = _generator(lang)
    except ToolchainError as error:
        print(f"wstream-gen: {error}", file=sys.stderr)
        return EXIT_INVALID
    files: dict[Path, str] = {}
    owners: dict[str, str] = {}
    problems: list[Problem] = []
    stale: list[Path] = []
    for given in schemas:
        shown = shown_path(given)
        try:
            name, package_files = generate(Path(given), shown, package)
        except SchemaError as error:
            problems.extend(error.problems)
            continue
        if name in owners:
            problems.append(
                Problem(shown, 1, 1, "name", f"package {name!r} is also generated from "
                        f"{owners[name]}; give the streams different names")
            )  # fmt: skip
            continue
        owners[name] = shown
        directory = out / name
        files.update({directory / file: text for file, text in package_files.items()})
        stale.extend(_stale(directory, set(package_files), _SUFFIXES[lang]))
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        count = len(problems)
        print(f"wstream-gen: {count} problem{'s' if count != 1 else ''}; nothing written",
              file=sys.stderr)  # fmt: skip
        return EXIT_INVALID
    if args.check:
        drift = changed_files(files) + stale
        if drift:
            print("wstream-gen --check: generated files are out of date:", file=sys.stderr)
            for path in sorted(drift):
                state = "would be removed" if path in stale else "would change"
                print(f"  {path.as_posix()} ({state})", file=sys.stderr)
            print("run wstream-gen without --check to update them", file=sys.stderr)
            return EXIT_DRIFT
        print(f"wstream-gen --check: {len(files)} files up to date")
        return EXIT_OK
    try:
        written = write_all(files)
        for path in stale:
            path.unlink()
    except OSError as error:
        print(f"wstream-gen: cannot write output: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(f"wstream-gen: {len(files)} files in {out.as_posix()}, {len(written)} changed"
          + (f", {len(stale)} removed" if stale else ""))  # fmt: skip
    return EXIT_OK


#: The generated files of each language: others of that suffix in a package are stale.
_SUFFIXES = {"python": ".py", "typescript": ".ts"}


def _generator(lang: str) -> Callable[[Path, str, str | None], tuple[str, dict[str, str]]]:
    """The pipeline of a language, as ``(schema, shown_as, package) -> (name, files)``."""
    if lang == "python":
        return lambda schema, shown, package: generate_package(
            schema, shown_as=shown, package=package
        )
    # Node.js and json-schema-to-typescript are looked for once, and only for TypeScript.
    from wstream_gen.typescript import find_toolchain, generate_typescript_package

    toolchain = find_toolchain()
    return lambda schema, shown, package: generate_typescript_package(
        schema, shown_as=shown, package=package, toolchain=toolchain
    )


def _stale(directory: Path, generated: set[str], suffix: str) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.is_file() and path.suffix == suffix and path.name not in generated
    )


if __name__ == "__main__":
    sys.exit(main())
