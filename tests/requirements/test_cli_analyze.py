"""`trellis requirements analyze FILE`: offline, no settings, no database, no data directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trellis.cli import app

runner = CliRunner()

REQUIREMENTS_MD = """# Requirements

## REQ-001: Login

The system shall respond quickly to sign-in requests.

Acceptance criteria:

- Given a registered user, when they sign in, then the dashboard opens within 2 seconds.
- Given a wrong password, when they sign in, then an error is shown.

Depends on: REQ-002

## REQ-002

It shall be user-friendly, TBD.

Depends on: REQ-001, REQ-009
"""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("TRELLIS_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, name: str, content: str) -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_json_report_has_the_documented_shape(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["requirements", "analyze", write(tmp_path, "reqs.md", REQUIREMENTS_MD), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) == {"requirements", "project_findings"}
    first, second = report["requirements"]
    assert set(first) == {"code", "text", "scores", "findings"}
    assert first["code"] == "REQ-001" and first["text"] == "The system shall respond quickly to sign-in requests."
    assert set(first["scores"]) == {"testability", "ambiguity", "dependencies", "completeness", "passed"}
    assert set(first["scores"]["passed"]) == {"testability", "ambiguity", "dependencies", "completeness"}
    assert first["findings"] == [
        {
            "category": "missing_metric",
            "start": 25,
            "end": 32,
            "text": "quickly",
            "severity": "high",
            "message": '"quickly" claims a quality without a measurable threshold or unit.',
            "suggestion": 'Replace "quickly" with a bound, e.g. "within <N> seconds".',
            "field": "text",
        }
    ]
    assert {f["category"] for f in second["findings"]} >= {"vague_pronoun", "subjective_language", "placeholder"}
    for finding in second["findings"]:
        assert finding["text"] == second["text"][finding["start"] : finding["end"]]
    project = {f["category"]: f for f in report["project_findings"]}
    assert set(project) == {"unknown_dependency", "dependency_cycle"}
    assert set(project["dependency_cycle"]) == {"category", "codes", "severity", "message", "suggestion", "details"}
    assert project["dependency_cycle"]["details"] == {"cycle": ["REQ-001", "REQ-002", "REQ-001"]}
    assert project["unknown_dependency"]["codes"] == ["REQ-002"]


def test_table_is_the_default_and_markdown_is_readable(tmp_path: Path) -> None:
    path = write(tmp_path, "reqs.md", REQUIREMENTS_MD)
    table = runner.invoke(app, ["requirements", "analyze", path])
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["CODE", "TEST", "AMB", "DEPS", "COMPL", "OK", "FINDINGS"]
    assert lines[2].split() == ["REQ-001", "100", "0", "0", "100", "no", "1"]
    assert '[high  ] missing_metric: "quickly" (25-32)' in table.stdout
    assert "dependency_cycle (REQ-001, REQ-002)" in table.stdout
    markdown = runner.invoke(app, ["requirements", "analyze", path, "--format", "md"])
    assert markdown.exit_code == 0
    assert markdown.stdout.startswith("# Requirements quality report")
    assert "### REQ-002" in markdown.stdout and '`placeholder` "TBD"' in markdown.stdout


def test_input_format_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, "reqs.data", "code,text\nA-1,The system shall be fast.\n")
    forced = runner.invoke(app, ["requirements", "analyze", path, "--input-format", "csv", "--format", "json"])
    assert forced.exit_code == 0
    assert [r["code"] for r in json.loads(forced.stdout)["requirements"]] == ["A-1"]
    as_text = runner.invoke(app, ["requirements", "analyze", path, "--input-format", "text", "--format", "json"])
    assert len(json.loads(as_text.stdout)["requirements"]) == 2  # the header line is a requirement as plain text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.md", None, "cannot read"),
        ("bad.json", '{"requirements": [', "not valid JSON"),
        ("bad.md", "## REQ_1: x\n\ntext\n", "line 1: invalid requirement code 'REQ_1'"),
        ("empty.txt", "\n# only a comment\n", "no requirements found"),
        ("binary.txt", None, "cannot read"),
    ],
)
def test_unreadable_or_invalid_files_exit_2_with_one_line(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    elif name.startswith("binary"):
        path.write_bytes(b"\xff\xfe\x00\x81invalid utf-8")
    result = runner.invoke(app, ["requirements", "analyze", str(path)])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("trellis: ") and message in result.stderr


def test_unknown_report_format_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["requirements", "analyze", write(tmp_path, "r.txt", "x\n"), "--format", "pdf"])
    assert result.exit_code == 2 and "--format must be one of table, json, md" in result.stderr


def test_no_data_directory_is_created(tmp_path: Path) -> None:
    path = write(tmp_path, "reqs.md", REQUIREMENTS_MD)
    result = runner.invoke(app, ["requirements", "analyze", path, "--format", "json"])
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reqs.md"]
    assert not (Path.cwd() / ".trellis").exists()
