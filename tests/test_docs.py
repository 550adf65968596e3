from __future__ import annotations

from pathlib import Path

from trellis.core.settings_doc import settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_matches_the_settings_class() -> None:
    assert settings_table() in (ROOT / "README.md").read_text(), (
        "README's settings table is stale: regenerate it with `python -m trellis.core.settings_doc`"
    )


def test_readme_starts_with_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["scripts/serve.sh", "scripts/test.sh"]
    assert (ROOT / "scripts/serve.sh").stat().st_mode & 0o111
    assert "scripts/test.sh" in (ROOT / ".ci/run").read_text()
