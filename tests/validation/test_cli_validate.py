"""`trellis validate` as a user runs it: a real process, offline, no data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

FIXTURE = Path(__file__).parent / "fixtures" / "taskboard"


def _run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRELLIS_")}
    env["HOME"] = str(tmp_path)
    return subprocess.run(
        [str(Path(sys.executable).parent / "trellis"), "validate", *arguments],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_output_shape_and_order(tmp_path: Path) -> None:
    result = _run(tmp_path, "--repo", str(FIXTURE), "--requirements", str(FIXTURE / "requirements.json"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"requirements", "scores", "unrequested"}
    first = report["requirements"][0]
    assert first["code"] == "TB-1" and first["status"] in ("implemented", "partial")
    scores = [link["score"] for link in first["links"]]
    assert scores == sorted(scores, reverse=True)
    assert {link["path"] for link in first["links"] if link["linked"]} >= {
        "web/src/api.ts",
        "web/src/components/Board.tsx",
    }
    for link in first["links"]:
        assert not link["path"].startswith("/") and (FIXTURE / link["path"]).is_file()
        assert isinstance(link["evidence"], list) and link["evidence"]
    assert 0 <= report["scores"]["compliance_score"] <= 1
    assert report["requirements"][-1]["status"] == "missing"  # TB-8: iCal export does not exist
    assert not any(p.name == ".trellis" for p in tmp_path.rglob("*"))
    assert list(tmp_path.iterdir()) == []


def test_markdown_output_and_other_requirement_formats(tmp_path: Path) -> None:
    requirements = tmp_path.parent / "reqs.md"
    requirements.write_text("- [TB-7] The interface offers a dark mode that is remembered between visits.\n")
    result = _run(tmp_path, "--repo", str(FIXTURE), "--requirements", str(requirements), "--format", "md")
    assert result.returncode == 0, result.stderr
    assert "# Code validation report" in result.stdout
    assert "### TB-7 - " in result.stdout and "No file is linked" not in result.stdout
    assert "`web/src/theme.js`" in result.stdout


def test_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    missing = _run(tmp_path, "--repo", str(tmp_path / "nope"), "--requirements", str(FIXTURE / "requirements.json"))
    assert missing.returncode == 2 and "not a directory" in missing.stderr
    bad_format = _run(
        tmp_path, "--repo", str(FIXTURE), "--requirements", str(FIXTURE / "requirements.json"), "--format", "xml"
    )
    assert bad_format.returncode == 2 and "--format must be one of json, md" in bad_format.stderr
