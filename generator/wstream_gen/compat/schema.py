"""Compare two payload schemas: follow ``$ref``s, then apply every rule family."""

from __future__ import annotations

from wstream_gen.compat import annotation_rules, constraints, enums, objects, types, unions
from wstream_gen.compat.report import Finding, Impact
from wstream_gen.compat.versions import Node, Versions
from wstream_gen.problems import DocPath
from wstream_gen.spec.checks import ref_target

_Seen = frozenset[tuple[DocPath, DocPath]]


class SchemaComparer:
    """Compares OLD and NEW subschemas of two schema files.

    Two ``$ref``s to the same model name are not followed: every model used by OLD's
    topics is compared once, on its own (see :mod:`wstream_gen.compat.stream`), so a change
    inside it is reported once, at the model. Recursive models terminate because a pair of
    document locations is compared at most once along any chain.
    """

    def __init__(self, versions: Versions) -> None:
        self.versions = versions

    def compare(self, old: Node, new: Node) -> list[Finding]:
        """Compare an OLD node with a NEW node.

        Args:
            old: A (sub)schema of OLD.
            new: The (sub)schema of NEW at the same place.

        Returns:
            Every finding at or below the two nodes.
        """
        return self._compare(old, new, frozenset())

    def _compare(self, old: Node, new: Node, seen: _Seen) -> list[Finding]:
        old_target, new_target = ref_target(old.schema), ref_target(new.schema)
        if old_target is not None and old_target == new_target:
            return []
        findings: list[Finding] = []
        if old_target is not None and new_target is not None:
            message = f"refers to model {new_target!r} instead of {old_target!r}"
            findings.append(self.versions.at_new((*new.path, "$ref"), Impact.API, message))
        old, new = self.versions.resolve_old(old), self.versions.resolve_new(new)
        if (old.path, new.path) in seen:
            return findings
        seen = seen | {(old.path, new.path)}

        def recurse(old_child: Node, new_child: Node) -> list[Finding]:
            return self._compare(old_child, new_child, seen)

        if unions.union_keyword(old.schema) or unions.union_keyword(new.schema):
            findings.extend(unions.compare(self.versions, old, new, recurse))
            return findings
        type_findings, disjoint = types.compare(self.versions, old, new)
        findings.extend(type_findings)
        if disjoint:
            return findings
        findings.extend(enums.compare(self.versions, old, new))
        findings.extend(constraints.compare(self.versions, old, new))
        findings.extend(objects.compare(self.versions, old, new, recurse))
        if "items" in old.schema or "items" in new.schema:
            findings.extend(recurse(old.child("items"), new.child("items")))
        findings.extend(annotation_rules.compare(self.versions, old, new))
        return findings
