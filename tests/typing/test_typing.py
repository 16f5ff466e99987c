"""mypy on snippets that use the generated packages: what must pass, and the exact errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path(__file__).parent / "snippets"
GOLDEN = ROOT / "tests" / "generator" / "golden"
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<message>.*)$")
NOTE = re.compile(r"^[^:]+:\d+: note: ")

EXPECTED_ERRORS: dict[str, list[tuple[int, str]]] = {
    "fail_wrong_publish.py": [
        (5, 'Argument 1 to "publish" of "TopicHandle" has incompatible type "str"; '
            'expected "int | Payload"  [arg-type]'),
        (6, 'Argument 1 to "publish" of "TopicHandle" has incompatible type "Money"; '
            'expected "Status | Payload"  [arg-type]'),
        (7, 'Argument 1 to "publish" of "WorkflowTopicHandle" has incompatible type "float"; '
            'expected "int | Payload"  [arg-type]'),
    ],
    "fail_unknown_topic.py": [
        (5, "List item 1 has incompatible type \"Literal['order.stauts']\"; expected "
            "\"Literal['order.status', 'progress', 'tokens']\"  [list-item]"),
        (6, "Non-overlapping equality check (left operand type: \"Literal['order.status', "
            "'progress', 'tokens']\", right operand type: \"Literal['shipping']\")  "
            "[comparison-overlap]"),
        (8, '"OrdersClient" has no attribute "shipping"  [attr-defined]'),
    ],
    "fail_narrowed_attribute.py": [
        (7, '"int" has no attribute "order_id"  [attr-defined]'),
        (9, 'Unsupported operand types for + ("Status" and "int")  [operator]'),
    ],
    "fail_model_fields.py": [
        (5, 'Argument "order_id" to "Status" has incompatible type "int"; expected "str"  '
            "[arg-type]"),
        (6, "Argument \"state\" to \"Status\" has incompatible type \"Literal['lost']\"; "
            "expected \"Literal['created', 'paid', 'shipped']\"  [arg-type]"),
        (7, 'Missing named argument "state" for "Status"  [call-arg]'),
    ],
    "fail_deprecated.py": [
        (5, "function orders.client.OrdersClient.tokens is deprecated: topic 'tokens' is "
            "deprecated  [deprecated]"),
    ],
    "fail_agent_literal.py": [
        (5, "Argument 1 to \"publish\" of \"TopicHandle\" has incompatible type "
            "\"Literal['sleeping']\"; expected \"Literal['queued', 'thinking', 'calling_tool', "
            "'answering', 'done', 'failed'] | Payload\"  [arg-type]"),
    ],
    "fail_client_options.py": [
        (6, 'Argument "batch_interval" to "create" of "TypedStreamClient" has incompatible '
            'type "int"; expected "timedelta"  [arg-type]'),
        (7, 'Unexpected keyword argument "max_batch_sise" for "create" of "TypedStreamClient"; '
            'did you mean "max_batch_size" or "max_batch_bytes"?  [call-arg]'),
    ],
    "pass_orders.py": [],
    "pass_agent.py": [],
}  # fmt: skip


def _mypy(*targets: str) -> tuple[str, int]:
    stdout, stderr, status = api.run(
        [
            "--strict",
            "--enable-error-code",
            "deprecated",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--no-error-summary",
            "--show-error-codes",
            *targets,
        ]
    )
    assert not stderr, stderr
    return stdout, status


@pytest.fixture(scope="module")
def errors() -> dict[str, list[tuple[int, str]]]:
    """One mypy run over every snippet: errors by snippet file."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        stdout, _ = _mypy(*(str(p.relative_to(ROOT)) for p in sorted(SNIPPETS.glob("*.py"))))
    found: dict[str, list[tuple[int, str]]] = {path.name: [] for path in SNIPPETS.glob("*.py")}
    for line in stdout.splitlines():
        if NOTE.match(line):  # context for the error above it ("defined in ..."), not a finding
            continue
        match = LINE.match(line)
        assert match, f"unexpected mypy output: {line}"
        found[Path(match["file"]).name].append((int(match["line"]), match["message"]))
    return found


def test_every_snippet_has_expectations() -> None:
    assert sorted(p.name for p in SNIPPETS.glob("*.py")) == sorted(EXPECTED_ERRORS)


@pytest.mark.parametrize("snippet", sorted(EXPECTED_ERRORS))
def test_snippet(snippet: str, errors: dict[str, list[tuple[int, str]]]) -> None:
    assert errors[snippet] == EXPECTED_ERRORS[snippet]


def test_golden_packages_pass_mypy_strict(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = sorted(str(p / "expected") for p in GOLDEN.iterdir() if p.is_dir())
    monkeypatch.setenv("MYPYPATH", ":".join(paths))
    monkeypatch.chdir(ROOT)
    packages = [d.name for p in paths for d in Path(p).iterdir() if d.is_dir()]
    stdout, status = _mypy(*(arg for name in packages for arg in ("-p", name)))
    assert (stdout, status) == ("", 0)
