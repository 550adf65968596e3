"""The words evidence shows are the ones the file and the requirement share, as the requirement wrote them."""

from __future__ import annotations

from pathlib import Path

from trellis.requirements.analysis import RequirementInput
from trellis.validation.engine import validate_repository


def test_a_split_identifier_shows_the_part_that_matched(tmp_path: Path) -> None:
    (tmp_path / "loader.py").write_text(
        '"""Load settings files; a file that cannot be read raises an error naming it."""\n'
        "def load_settings(path):\n    raise OSError(path)\n"
    )
    requirement = RequirementInput(
        "CFG-1",
        "The tool loads settings files.",
        ("Given an unreadable file, loading fails with a `SettingsReadError` naming the file.",),
    )
    report = validate_repository(tmp_path, [requirement]).as_dict(max_links=1)
    link = report["requirements"][0]["links"][0]
    shown = {term for item in link["evidence"] for term in item.get("terms", [])}
    assert "error" in shown  # the docstring says "error"
    assert "settingsreaderror" not in shown and not any("settingsreaderror" in term for term in shown)
