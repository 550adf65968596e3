"""The settings table of the README, generated from `Settings` so the two cannot drift apart.

python -m trellis.core.settings_doc   # prints the Markdown table
"""

from __future__ import annotations

from pathlib import Path

from pydantic_core import PydanticUndefined

from trellis.core.config import ENV_PREFIX, Settings


def _default(name: str) -> str:
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory is not None else field.default  # type: ignore[call-arg]
    if value is None or value is PydanticUndefined or value == []:
        return "unset"
    if isinstance(value, Path):
        return f"`{value}`"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def settings_table() -> str:
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        description = (field.description or "").replace("|", "\\|")
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | {_default(name)} | {description} |")
    return "\n".join(rows)


START_MARKER = "<!-- settings:start"
END_MARKER = "<!-- settings:end -->"


def write_into(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    start = text.index("\n", text.index(START_MARKER)) + 1
    end = text.index(END_MARKER)
    path.write_text(text[:start] + settings_table() + "\n" + text[end:], encoding="utf-8")


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write_into(Path(sys.argv[2]))
    else:
        print(settings_table())
