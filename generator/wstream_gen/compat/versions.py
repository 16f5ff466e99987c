"""The two schema versions being compared, and one (sub)schema of either side."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wstream_gen.compat.report import Finding, Impact, locate
from wstream_gen.loader import Document
from wstream_gen.problems import DocPath
from wstream_gen.spec.checks import ref_target


@dataclass(frozen=True)
class Node:
    """A (sub)schema of one side with its document path.

    Attributes:
        schema: The schema as written (``{}``, which accepts anything, when absent).
        path: Where it is in its document (its parent's path when absent).
    """

    schema: Mapping[str, Any]
    path: DocPath

    def child(self, key: str) -> Node:
        """Return the subschema under ``key`` (``{}`` when absent or not a mapping).

        Args:
            key: ``items``, ``additionalProperties`` and the like.

        Returns:
            The child node.
        """
        value = self.schema.get(key)
        return Node(value if isinstance(value, dict) else {}, (*self.path, key))


#: Compares an OLD node with a NEW node, returning every finding below them.
Compare = Callable[[Node, Node], list[Finding]]


def _models(document: Document) -> dict[str, Any]:
    data = document.data if isinstance(document.data, dict) else {}
    models = data.get("models")
    return (
        {k: v for k, v in models.items() if isinstance(v, dict)} if isinstance(models, dict) else {}
    )


@dataclass(frozen=True)
class Versions:
    """The OLD and NEW schema files, already validated.

    Attributes:
        old: The schema currently deployed.
        new: The schema being rolled out.
        old_models: The ``models`` section of OLD.
        new_models: The ``models`` section of NEW.
    """

    old: Document
    new: Document
    old_models: dict[str, Any] = field(init=False)
    new_models: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "old_models", _models(self.old))
        object.__setattr__(self, "new_models", _models(self.new))

    def at_new(
        self, path: DocPath, impact: Impact, message: str, *, at_key: bool = False
    ) -> Finding:
        """Locate a finding in NEW (what was added or changed).

        Args:
            path: Where in NEW.
            impact: What the change does to a rolling deploy.
            message: What changed.
            at_key: Point at the mapping key.

        Returns:
            The finding.
        """
        return locate(self.new, path, impact, message, at_key=at_key)

    def at_old(
        self, path: DocPath, impact: Impact, message: str, *, at_key: bool = False
    ) -> Finding:
        """Locate a finding in OLD (what was removed).

        Args:
            path: Where in OLD.
            impact: What the change does to a rolling deploy.
            message: What changed.
            at_key: Point at the mapping key.

        Returns:
            The finding.
        """
        return locate(self.old, path, impact, message, at_key=at_key)

    def resolve_old(self, node: Node) -> Node:
        """Follow a ``$ref`` of an OLD node into OLD's models.

        Args:
            node: A node of OLD.

        Returns:
            The model it refers to, or the node itself.
        """
        return _resolve(node, self.old_models)

    def resolve_new(self, node: Node) -> Node:
        """Follow a ``$ref`` of a NEW node into NEW's models.

        Args:
            node: A node of NEW.

        Returns:
            The model it refers to, or the node itself.
        """
        return _resolve(node, self.new_models)


def _resolve(node: Node, models: Mapping[str, Any]) -> Node:
    target = ref_target(node.schema)
    if target is None or target not in models:
        return node
    return Node(models[target], ("models", target))
