"""``wstream-gen diff OLD NEW``: exit 0 when compatible, 1 when breaking, 2 on bad input."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from wstream_gen.commands.inputs import load_valid
from wstream_gen.compat import Versions, compare_streams, ordered, summary

EXIT_COMPATIBLE = 0
EXIT_BREAKING = 1
EXIT_INVALID = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wstream-gen diff",
        description="List the changes between two versions of a topics schema and fail when "
        "items of OLD would be rejected by subscribers built from NEW.",
        epilog="Exit status: 0 compatible, 1 breaking, 2 invalid input.",
    )
    parser.add_argument("old", metavar="OLD", help="the schema currently deployed")
    parser.add_argument("new", metavar="NEW", help="the schema being rolled out")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also fail on changes old subscribers reject (for deploys that cannot "
        "upgrade subscribers before publishers)",
    )
    return parser


def run_diff(argv: Sequence[str]) -> int:
    """Run ``wstream-gen diff``.

    Args:
        argv: The arguments after ``diff``.

    Returns:
        The exit status.
    """
    args = _parser().parse_args(argv)
    loaded = load_valid("diff", [args.old, args.new])
    if loaded is None:
        return EXIT_INVALID
    (old_document, old_spec), (new_document, new_spec) = loaded
    findings = ordered(
        compare_streams(Versions(old_document, new_document), old_spec, new_spec), args.strict
    )
    for finding in findings:
        print(finding.render(args.strict))
    print(summary(findings, args.strict))
    breaking = any(finding.is_breaking(args.strict) for finding in findings)
    return EXIT_BREAKING if breaking else EXIT_COMPATIBLE
