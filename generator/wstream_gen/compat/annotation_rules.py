"""Rule family: annotations that change generated Python but not the wire (default, deprecated)."""

from __future__ import annotations

import json

from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.versions import Node, Versions

_MISSING = object()


def compare(versions: Versions, old: Node, new: Node) -> list[Finding]:
    """Compare ``default`` and ``deprecated`` of two nodes; descriptions are not compared.

    Args:
        versions: The two schema files.
        old: The OLD node.
        new: The NEW node.

    Returns:
        API findings: subscribers fill a different value in, or uses start warning.
    """
    findings: list[Finding] = []
    old_default = old.schema.get("default", _MISSING)
    new_default = new.schema.get("default", _MISSING)
    if json.dumps(old_default, default=str) != json.dumps(new_default, default=str):
        if new_default is _MISSING:
            message = (
                f"default {json.dumps(old_default)} removed; the field becomes None when omitted"
            )
            findings.append(
                versions.at_old((*old.path, "default"), Impact.API, message, at_key=True)
            )
        else:
            before = "no default" if old_default is _MISSING else json.dumps(old_default)
            message = (
                f"default changed from {before} to {json.dumps(new_default)}; "
                "new subscribers fill it in when an item omits the field"
            )
            findings.append(versions.at_new((*new.path, "default"), Impact.API, message))
    old_deprecated = old.schema.get("deprecated") is True
    new_deprecated = new.schema.get("deprecated") is True
    if old_deprecated != new_deprecated:
        state = "now deprecated" if new_deprecated else "no longer deprecated"
        findings.append(versions.at_new(new.path, Impact.API, f"{state} (wire unchanged)"))
    return findings
