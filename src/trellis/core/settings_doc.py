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


if __name__ == "__main__":
    print(settings_table())
