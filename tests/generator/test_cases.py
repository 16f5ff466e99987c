"""The catalogue of malformed schemas: each file's exact problems, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from wstream_gen.cli import main

CASES = Path(__file__).parent / "cases"
SCHEMAS = sorted(CASES.glob("*.yaml"))


def test_catalogue_is_large_enough() -> None:
    assert len(SCHEMAS) >= 40
    assert all(schema.with_suffix(".expected").exists() for schema in SCHEMAS)


@pytest.mark.parametrize("schema", SCHEMAS, ids=[schema.stem for schema in SCHEMAS])
def test_malformed_schema(
    schema: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(CASES)
    out = tmp_path / "out"
    expected = schema.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert expected, "every case expects at least one problem"

    status = main([schema.name, "--out", str(out)])

    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 2
    assert lines[:-1] == expected
    count = len(expected)
    assert lines[-1] == f"wstream-gen: {count} problem{'s' if count != 1 else ''}; nothing written"
    assert captured.out == ""
    assert not out.exists()
    for line in expected:
        location, _, message = line.partition(": ")
        file, row, column = location.rsplit(":", 2)
        assert file == schema.name and int(row) >= 1 and int(column) >= 1 and message
