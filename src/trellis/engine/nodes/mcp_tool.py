"""MCP tool call: calls one tool of a registered MCP server of this workspace with rendered arguments."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field

from trellis.engine.nodes.base import NodeConfig, NodeContext, NodeType, PermanentNodeError


class McpToolConfig(NodeConfig):
    server_id: uuid.UUID
    tool: str = Field(min_length=1, max_length=200)
    arguments: dict[str, Any] = Field(default_factory=dict, description="Tool arguments (templates allowed).")
    timeout_seconds: float = Field(default=60.0, gt=0, le=3600)


async def run(context: NodeContext, config: McpToolConfig) -> Any:
    from trellis.mcp import service as mcp_service
    from trellis.mcp.client import call_mcp_tool

    with context.runtime.database.read_session_factory() as session:
        server = mcp_service.load_server_config(session, workspace_id=context.workspace_id, server_id=config.server_id)
    arguments = context.render(config.arguments)
    result = await call_mcp_tool(server, config.tool, arguments, timeout=config.timeout_seconds)
    if result.is_error:
        raise PermanentNodeError(f"MCP tool {config.tool!r} reported an error: {result.as_text()[:500]}")
    return result.to_dict()


NODE = NodeType(
    type="mcp_tool",
    category="integration",
    description="Calls one tool of an MCP server; output: the tool's content and structured content.",
    config_model=McpToolConfig,
    run=run,
    side_effects=True,
)
