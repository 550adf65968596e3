"""Helpers over `ToolSet`s: several tool sets offered to one agent as one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trellis.llm.types import ToolError, ToolSet, ToolSpec


class CombinedToolSet:
    """The tools of several sets; a name the sets share goes to the first set that has it."""

    def __init__(self, toolsets: Sequence[ToolSet]) -> None:
        self._owners: dict[str, ToolSet] = {}
        self._specs: list[ToolSpec] = []
        for toolset in toolsets:
            for spec in toolset.specs():
                if spec.name not in self._owners:
                    self._owners[spec.name] = toolset
                    self._specs.append(spec)

    def specs(self) -> list[ToolSpec]:
        return list(self._specs)

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        owner = self._owners.get(name)
        if owner is None:
            raise ToolError(f"Unknown tool {name!r}.")
        return await owner.call(name, arguments)
