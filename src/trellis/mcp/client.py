"""What the API, the workflow engine and agents call: connect, list tools, call a tool.

All of it goes through this process's `McpConnectionManager`, so a session opened by one call is
reused by the next; none of it touches the database (the caller loads the configuration with
`trellis.mcp.service.load_server_config` and records what it learns).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent, Tool

from trellis.mcp.config import McpServerConfig, McpSettings, current_mcp_settings
from trellis.mcp.connections import Connection, connection_manager
from trellis.mcp.errors import McpError, McpTimeout
from trellis.mcp.failures import describe_call_failure

# Pages of a tools/list walk before giving up on a server whose cursor never ends.
MAX_TOOL_PAGES = 50


@dataclass(frozen=True)
class McpToolResult:
    """A tools/call result. `is_error` is the tool reporting failure (the call itself worked)."""

    is_error: bool
    text: str
    structured: dict[str, Any] | None = None
    content: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"is_error": self.is_error, "text": self.text, "structured": self.structured, "content": self.content}

    def as_text(self) -> str:
        """For a model: the text blocks, else the structured content as JSON."""
        if self.text:
            return self.text
        if self.structured is not None:
            return json.dumps(self.structured, ensure_ascii=False)
        return ""


@dataclass(frozen=True)
class McpServerSnapshot:
    """What a fresh connection learned: stored on the server's row by the connect endpoint."""

    protocol_version: str | None
    server_info: dict[str, Any] | None
    capabilities: dict[str, Any]
    tools: list[dict[str, Any]]


def tool_to_dict(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "input_schema": tool.input_schema,
        "output_schema": tool.output_schema,
        "annotations": tool.annotations.model_dump(mode="json", exclude_none=True) if tool.annotations else None,
    }


def result_from_mcp(result: CallToolResult) -> McpToolResult:
    texts = [block.text for block in result.content if isinstance(block, TextContent)]
    return McpToolResult(
        is_error=bool(result.is_error),
        text="\n".join(texts),
        structured=result.structured_content,
        content=[block.model_dump(mode="json", by_alias=True, exclude_none=True) for block in result.content],
    )


async def _list_tools(connection: Connection, timeout: float) -> list[dict[str, Any]]:
    tools: list[dict[str, Any]] = []
    cursor: str | None = None
    async with asyncio.timeout(timeout):
        for _ in range(MAX_TOOL_PAGES):
            page = await connection.client.list_tools(cursor=cursor)
            tools.extend(tool_to_dict(tool) for tool in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
    return tools


async def _guarded(config: McpServerConfig, what: str, connection: Connection, work: Any, timeout: float) -> Any:
    """Run one request on a connection, turning transport failures into masked domain errors."""
    manager = connection_manager()
    connection.in_flight += 1
    try:
        return await asyncio.wait_for(work, timeout)
    except TimeoutError:
        raise McpTimeout(
            f"MCP server {config.name!r} did not answer {what} within {timeout:g} s.", server_id=config.server_id
        ) from None
    except McpError:
        raise
    except Exception as exc:
        if not isinstance(exc, MCPError) or exc.code == -32000:
            manager.mark_broken(connection)  # the next use opens a fresh session
        raise describe_call_failure(config, what, exc) from None
    finally:
        connection.in_flight -= 1
        connection.touch()


async def connect_server(config: McpServerConfig, *, settings: McpSettings | None = None) -> McpServerSnapshot:
    """Open (or reuse) this process's session with the server and fetch its capabilities and tools."""
    settings = settings or current_mcp_settings()

    async def work() -> McpServerSnapshot:
        manager = connection_manager()
        connection = await manager.acquire(config, settings)
        client = connection.client
        tools = await _guarded(
            config, "tools/list", connection, _list_tools(connection, settings.connect_timeout_seconds), 3600
        )
        info = client.server_info
        return McpServerSnapshot(
            protocol_version=client.protocol_version,
            server_info=info.model_dump(mode="json", exclude_none=True) if info else None,
            capabilities=client.server_capabilities.model_dump(mode="json", by_alias=True, exclude_none=True),
            tools=tools,
        )

    return await connection_manager().run(work())


async def list_live_tools(config: McpServerConfig, *, open_if_closed: bool) -> list[dict[str, Any]] | None:
    """The tool list from a live session; None when this process has none and `open_if_closed` is False."""

    async def work() -> list[dict[str, Any]] | None:
        manager = connection_manager()
        if not open_if_closed and manager.live(config.server_id, config.config_version) is None:
            return None
        settings = current_mcp_settings()
        connection = await manager.acquire(config, settings)
        timeout = settings.connect_timeout_seconds
        result: list[dict[str, Any]] = await _guarded(
            config, "tools/list", connection, _list_tools(connection, timeout), timeout + 1
        )
        return result

    return await connection_manager().run(work())


async def disconnect_server(server_id: str) -> bool:
    """Close this process's session (a stdio server's process stops); True when one was open."""
    manager = connection_manager()
    return await manager.run(manager.close(server_id))


async def call_mcp_tool(
    server: McpServerConfig, tool: str, arguments: dict[str, Any], *, timeout: float
) -> McpToolResult:
    """Call one tool, opening or reusing this process's session with the server.

    Returns the result, with `is_error` set when the tool itself reported a failure. Raises
    `McpServerUnavailable` / `McpTimeout` (transient: worth retrying) when the server cannot be
    reached or does not answer within `timeout` seconds (connect time not included), and
    `McpCallRejected` (permanent) when the server refuses the request, e.g. an unknown tool.
    """

    async def work() -> McpToolResult:
        connection = await connection_manager().acquire(server)
        result = await _guarded(
            server,
            tool,
            connection,
            connection.client.call_tool(tool, arguments, read_timeout_seconds=timeout),
            timeout + 1,
        )
        return result_from_mcp(result)

    return await connection_manager().run(work())
