"""MCP tools as an agent's `ToolSet` (trellis.llm.types): several servers, names namespaced `server__tool`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from trellis.llm.types import ToolError, ToolSpec
from trellis.mcp.client import call_mcp_tool, list_live_tools
from trellis.mcp.config import McpServerConfig, current_mcp_settings
from trellis.mcp.errors import McpError

SEPARATOR = "__"
# OpenAI-compatible APIs accept function names of 1-64 characters from [a-zA-Z0-9_-].
MAX_NAME_CHARS = 64
_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]+")


def _slug(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("_").lower() or "x"


def namespaced_name(server_name: str, tool_name: str) -> str:
    """`server__tool`, made safe for every provider; long names keep a hash so they stay distinct."""
    name = f"{_slug(server_name).replace(SEPARATOR, '_')}{SEPARATOR}{_UNSAFE.sub('_', tool_name)}"
    if len(name) <= MAX_NAME_CHARS:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME_CHARS - 9]}_{digest}"


@dataclass(frozen=True)
class McpToolBinding:
    spec: ToolSpec
    server: McpServerConfig
    tool_name: str


class McpToolSet:
    """Implements `trellis.llm.types.ToolSet` over the tools of one or more MCP servers.

    `call` returns the tool's text (or its structured content as JSON). A failure the model can act
    on (the tool reported an error, an unknown name, a server that refused the call) raises
    `ToolError`, which the agent loop hands back to the model; an unreachable server or a timeout
    raises the transient `McpError` so the engine's retry policy applies.
    """

    def __init__(self, bindings: Sequence[McpToolBinding], *, timeout: float | None = None) -> None:
        self._bindings = {binding.spec.name: binding for binding in bindings}
        self._timeout = timeout if timeout is not None else current_mcp_settings().tool_timeout_seconds

    @classmethod
    def from_tool_lists(
        cls,
        servers: Sequence[tuple[McpServerConfig, Sequence[dict[str, Any]]]],
        *,
        allowed: Collection[str] | None = None,
        timeout: float | None = None,
    ) -> McpToolSet:
        """Build from already-known tool lists (e.g. a server's stored list). `allowed` filters by
        namespaced name or by plain tool name."""
        bindings: list[McpToolBinding] = []
        taken: set[str] = set()
        for server, tools in servers:
            for tool in tools:
                name = namespaced_name(server.name, tool["name"])
                if name in taken:  # two servers whose names slug alike: the id tells them apart
                    name = namespaced_name(f"{server.name}_{server.server_id[:8]}", tool["name"])
                if allowed is not None and name not in allowed and tool["name"] not in allowed:
                    continue
                taken.add(name)
                spec = ToolSpec(
                    name=name,
                    description=tool.get("description") or tool.get("title") or "",
                    input_schema=tool.get("input_schema") or {"type": "object", "properties": {}},
                )
                bindings.append(McpToolBinding(spec=spec, server=server, tool_name=tool["name"]))
        return cls(bindings, timeout=timeout)

    @classmethod
    async def connect(
        cls,
        servers: Sequence[McpServerConfig],
        *,
        allowed: Collection[str] | None = None,
        timeout: float | None = None,
    ) -> McpToolSet:
        """Open (or reuse) a session with each server and take its current tool list."""
        listed: list[tuple[McpServerConfig, Sequence[dict[str, Any]]]] = []
        for server in servers:
            tools = await list_live_tools(server, open_if_closed=True)
            listed.append((server, tools or []))
        return cls.from_tool_lists(listed, allowed=allowed, timeout=timeout)

    def specs(self) -> list[ToolSpec]:
        return [binding.spec for binding in self._bindings.values()]

    def binding(self, name: str) -> McpToolBinding | None:
        return self._bindings.get(name)

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        binding = self._bindings.get(name)
        if binding is None:
            known = ", ".join(sorted(self._bindings)) or "none"
            raise ToolError(f"Unknown tool {name!r}. Available tools: {known}.")
        try:
            result = await call_mcp_tool(binding.server, binding.tool_name, arguments, timeout=self._timeout)
        except McpError as exc:
            if getattr(exc, "transient", False):
                raise
            raise ToolError(exc.message) from None
        if result.is_error:
            raise ToolError(result.as_text() or f"Tool {name} failed without a message.")
        return result.as_text()
